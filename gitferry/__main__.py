"""`python -m gitferry` runs the command line, as the `gitferry` script does."""

from gitferry.cli.main import main

main()
