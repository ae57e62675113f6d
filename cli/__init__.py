"""The ``forewarn`` command line: one subcommand per pipeline stage."""
