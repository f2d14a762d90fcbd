"""The only package that touches Git (and Helm or OCI repositories): fetch, cache,
revisions, files at a revision, commit signature verification.

Rules of the package:
- Git runs as the CLI with argv lists (never a shell), a clean environment and a timeout
  after which the process group is killed (`git`).
- Credentials never appear in argv, logs, errors or exceptions: https credentials through
  `GIT_ASKPASS` and environment variables, SSH keys through a 0600 temporary file; every
  message is scrubbed of the secrets in play and of URL passwords (`urls.redact`).
- One bare mirror per repository, fetched at most once per revision TTL; concurrent fetches
  share one git process (`mirror`). Revisions resolve as Argo CD's `LsRemote` does
  (`revisions`, `semver`).
- Trees are read without a checkout and written once per commit into the cache, symbolic
  links kept as links (`snapshots`); chart archives are unpacked with caps and no links
  (`archives`, `charts`).
- Errors come from `gitferry.model.errors` (RepositoryError and its subtree); messages start
  with `repo <redacted url>:`.

Entry point: `repositories.Repositories`; `credentials.pick` chooses credentials from
Argo CD's repository Secrets.
"""
