"""One module per claim. Importing a module registers its theorem (see ``verify.register``)."""
