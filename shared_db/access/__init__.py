"""Who may use the system: console accounts and API clients of the online portal (keys, idempotency records)."""
