"""Public test helpers: an embedded cluster fixture, Git repository fixtures and manifest
builders, for gitferry's tests and for users testing their own configuration.
"""
