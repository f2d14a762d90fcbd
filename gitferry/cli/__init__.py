"""The `gitferry` command line: click commands, and the composition root that wires the
engine packages together.
"""
