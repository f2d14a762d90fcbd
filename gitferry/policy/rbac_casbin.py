"""The reference path of RBAC: the same single-subject question answered by pycasbin itself,
loaded with Argo CD's model verbatim and Argo CD's `globOrRegexMatch` registered.

pycasbin's own `globMatch` is not Argo CD's glob (it stops `*` at `/` and rewrites a leading
`*/`), so the function registered here is `rbac_match.match`, the same one the fast path uses.
pycasbin scans every policy line per request (milliseconds on a 500-line policy), so the
`Enforcer` answers from `rbac_index.CompiledPolicy` and keeps this path for proving it: the
property tests and `bench/rbac_bench.py` compare the two, and `Enforcer.enforce_with_casbin`
exposes it for investigating a surprising decision.

One difference is deliberate and documented: pycasbin's role manager follows 9 `g` links where
Go casbin (Argo CD) follows 10; the fast path follows Go.

Imported lazily by `rbac` so that enforcing never loads casbin. Pure; no I/O.
"""

from __future__ import annotations

import casbin

from gitferry.policy import rbac_match
from gitferry.policy.rbac_match import MatchMode
from gitferry.policy.rbac_policy import MODEL_CONF, Policy


class CasbinPolicy:
    """A policy set loaded into a pycasbin enforcer."""

    def __init__(self, policy: Policy, mode: MatchMode = MatchMode.GLOB) -> None:
        model = casbin.Model()
        model.load_model_from_text(MODEL_CONF)
        self._enforcer = casbin.Enforcer(model)

        def glob_or_regex_match(value: str, pattern: str) -> bool:
            return rbac_match.match(value, pattern, mode)

        self._enforcer.add_function("globOrRegexMatch", glob_or_regex_match)
        # casbin refuses a batch holding a duplicate; duplicates never change a decision.
        rules = dict.fromkeys(
            (rule.subject, rule.resource, rule.action, rule.object, rule.effect)
            for rule in policy.rules
        )
        groupings = dict.fromkeys((g.member, g.role) for g in policy.groupings)
        if rules:
            self._enforcer.add_policies([list(rule) for rule in rules])
        if groupings:
            self._enforcer.add_grouping_policies([list(pair) for pair in groupings])

    def allowed(self, subject: str, resource: str, action: str, obj: str) -> bool:
        """casbin's `Enforce(subject, resource, action, obj)`."""
        return bool(self._enforcer.enforce(subject, resource, action, obj))
