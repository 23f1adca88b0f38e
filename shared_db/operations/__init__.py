"""Running the campaign: wallboard and daily report, phantom bookings, fill tasks, retention, demo data."""
