"""Subcommands of the ``audioscale`` CLI: one module per command group, each with
``register(subparsers)`` (see ``audioscale.cli``)."""
