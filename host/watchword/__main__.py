"""`python -m watchword` runs the command line."""

from watchword.cli.main import cli

cli(prog_name="watchword")
