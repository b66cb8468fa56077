"""The engine's model of claims and checks (internal; the public API is :mod:`verify`)."""
