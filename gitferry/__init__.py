"""gitferry: GitOps continuous delivery that reads Argo CD's resources unchanged.

The package map and the import rules are in DESIGN.md section 2; import-linter enforces them.
"""
