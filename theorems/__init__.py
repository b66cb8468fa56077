"""One module per claim. Importing a module registers its theorem (see ``verify.register``).

Each module is an entry point of the group ``relverify.theorems`` in ``pyproject.toml`` (the
engine finds theorems only there, as it finds a user's); a new module needs a line there.
"""
