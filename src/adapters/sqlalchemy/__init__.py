"""SQLAlchemy 2 adapters: tables, the user repository, the inbox and the unit of work."""
