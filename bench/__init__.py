"""`make bench`: the service under gunicorn beside a bare Flask app, loaded on loopback.

Kept out of src/: nothing here ships. See docs/performance.md.
"""
