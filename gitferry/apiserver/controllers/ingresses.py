"""A fake ingress controller: every Ingress gets an address.

About 0.5 s after an Ingress appears its status becomes
`loadBalancer: {ingress: [{ip: 127.0.0.1}]}`, as ingress-nginx on a local cluster publishes
it, so Argo CD sees it Healthy. With the option switched off Ingresses keep
`loadBalancer: {}` and stay Progressing, exactly as on a cluster without an ingress
controller. Started by the controller manager.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.store import Event

ADDRESS = "127.0.0.1"
DELAY = 0.5


class Ingresses(runtime.Controller):
    """Publishes the address of Ingresses."""

    name = "ingress"
    manager_name = "ingress-controller"
    component = "ingress-controller"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        self._due: dict[str, float] = {}

    def start(self) -> None:
        if self.options.ingresses:
            for key in self.keys_of("ingresses.networking.k8s.io"):
                self.queue(key)

    def watches(self) -> dict[str, runtime.Handler]:
        return {"ingresses.networking.k8s.io": self._on_ingress}

    def _on_ingress(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        if event.type == "DELETED":
            self._due.pop(meta_["uid"], None)
        elif self.options.ingresses:
            self.queue((meta_["namespace"], meta_["name"]))

    def reconcile(self, key: Any) -> None:
        entry = self.store.get("ingresses.networking.k8s.io", *key)
        if entry is None or entry.obj["metadata"].get("deletionTimestamp"):
            return
        status = meta.deep(entry.obj.get("status") or {})
        if (status.get("loadBalancer") or {}).get("ingress"):
            return
        uid = entry.obj["metadata"]["uid"]
        now = self.manager.clock.monotonic()
        due = self._due.setdefault(uid, now + self.sim(DELAY))
        if due > now:
            self.wake(key, due - now)
            return
        del self._due[uid]
        status["loadBalancer"] = {"ingress": [{"ip": ADDRESS}]}
        meta.put_status(
            self.registry, self.rt("ingresses.networking.k8s.io"), entry, status, self.manager_name
        )
        self.event(entry.obj, "Normal", "Sync", "Scheduled for sync")
