"""The only package that touches Git (and Helm or OCI repositories): fetch, cache,
revisions, files at a revision, commit signature verification.
"""
