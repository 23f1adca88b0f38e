"""Messages to people: their texts per language, the outbox they are sent from, reminders and reconfirmation."""
