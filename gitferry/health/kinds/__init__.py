"""One module per kind, each with `check(obj) -> Health`: Argo CD's built-in rule for that
kind (reference 5.3), the Lua rule it bundles for CronJob, and the opt-in rule for child
Applications. Version checks and dispatch live in `gitferry.health.assess`.
"""
