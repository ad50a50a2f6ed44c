"""One use case per module: a class with `execute(command)`."""
