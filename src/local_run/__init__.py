"""Local run: the embedded default (SQLite and the Stripe emulator, no keys)."""
