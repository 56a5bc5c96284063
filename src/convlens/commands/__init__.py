"""Subcommands of the ``convlens`` command line, one module each."""
