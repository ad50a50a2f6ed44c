"""Entities, value objects and rules. Plain Python: no I/O, no framework."""
