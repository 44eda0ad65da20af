"""The abuse suite: hostile and clumsy input through the real command line (see abuse.py)."""
