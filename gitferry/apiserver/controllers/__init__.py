"""Simulated controllers that make workloads come alive inside the embedded cluster.

One node (`<cluster name>-node`), a scheduler, a kubelet, and the kube-controller-manager
loops (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Endpoints and
EndpointSlices, PersistentVolume binding, HorizontalPodAutoscaler, Namespace, garbage
collection) plus fake load-balancer and ingress controllers write statuses the way a real
cluster does, so `kubectl rollout status`, `kubectl wait`, Argo CD health and kstatus behave as
they would on kind. They read the store and write through the registry under the real field
managers (`kube-controller-manager`, `kubelet`, `kube-scheduler`).

Timing: pods start in about 1 s, Job pods run about 1 s, load balancers and ingresses get
addresses after 0.5 s, all multiplied by the cluster's speed (`gitferry cluster serve`
`speed`, 0 = as fast as possible). Back-offs keep their real values in messages
(`back-off 10s`) and are never faster than 1/100 of real time. Deadlines written in objects
(progressDeadlineSeconds, activeDeadlineSeconds, ttlSecondsAfterFinished, cron schedules)
run on the clock, unscaled.

Failure modes, chosen per pod by annotations (on the pod template, so on every pod):

    sim.gitferry.io/behavior: crashloop[:exit=N][:after=Xs]
        the container runs X s (default 1 s) and exits N (default 1); with restartPolicy
        Always (or OnFailure) it restarts at once, then with CrashLoopBackOff (back-off 10s,
        20s, ... 5m0s) and a climbing restartCount; the pod stays phase Running
    sim.gitferry.io/behavior: oom[:after=Xs]
        like crashloop, terminated OOMKilled, exit code 137
    sim.gitferry.io/behavior: exit:N[:after=Xs]
        the container exits N after X s (run-to-completion pods: after their duration)
    sim.gitferry.io/behavior: never-ready
        the container runs but its readiness probe never passes
    sim.gitferry.io/behavior: image-pull-error
        ErrImagePull, then ImagePullBackOff, forever; phase Pending
    sim.gitferry.io/behavior: slow-start:Xs
        the container starts X s later than usual
    sim.gitferry.io/behavior.<container>: ...
        the same for one container only (init containers included)
    sim.gitferry.io/duration: Xs
        how long a run-to-completion container (restartPolicy Never or OnFailure, e.g. a Job
        pod) runs before it exits 0; default 1 s

Several behaviours may be combined with commas (`slow-start:5s,never-ready`). Durations are
`30`, `30s`, `500ms`, `2m` or `1m30s`. Without annotations the simulation still reads the pod:
an image tagged `doesnotexist` fails to pull, an image reference that does not parse gives
InvalidImageName, a command or args containing `exit N` (as in `sh -c 'exit 1'`) exits N (a
run-to-completion pod after its duration, a long-running one after 1 s or its `sleep N`, so
it crash-loops),
`sleep N` sets how long a run-to-completion container runs, a readinessProbe's
initialDelaySeconds delays readiness, a missing ConfigMap, Secret or key referenced from the
environment gives CreateContainerConfigError, and a missing one mounted as a volume keeps
the pod in ContainerCreating with FailedMount events; both recover once it appears. Pods
whose nodeSelector, node affinity or tolerations exclude the node, or whose claims are
missing or unbound, stay Pending with the scheduler's Unschedulable message.

Switches (`Options`): `load_balancers` (LoadBalancer Services get an address from
172.18.255.200 up), `ingresses` (Ingresses get 127.0.0.1), `metrics` (HPAs get fake
metrics); all on by default. Switched off, those objects stay Progressing or Degraded, as on
a bare kind cluster.

`starter` is what the API server calls; tests use `Manager` with a `FakeClock`, `settle` and
`advance`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gitferry.apiserver.controllers import (
    cronjobs,
    daemonsets,
    deployments,
    events,
    gc,
    hpa,
    ingresses,
    jobs,
    kubelet,
    namespaces,
    nodes,
    replicasets,
    scheduler,
    services,
    statefulsets,
    volumes,
)
from gitferry.apiserver.controllers.runtime import Controller, Manager, Options
from gitferry.apiserver.registry import Registry

__all__ = ["CONTROLLERS", "Manager", "Options", "manager", "starter"]

# In the order they are started (bootstrap objects first).
CONTROLLERS: tuple[type[Controller], ...] = (
    nodes.Nodes,
    events.Events,
    namespaces.Namespaces,
    scheduler.Scheduler,
    kubelet.Kubelet,
    replicasets.ReplicaSets,
    deployments.Deployments,
    statefulsets.StatefulSets,
    daemonsets.DaemonSets,
    jobs.Jobs,
    cronjobs.CronJobs,
    services.Services,
    volumes.Volumes,
    ingresses.Ingresses,
    hpa.Autoscalers,
    gc.GarbageCollector,
)

Stop = Callable[[], Awaitable[None]]


def manager(registry: Registry, options: Options) -> Manager:
    """A manager with every simulated controller, not started yet."""
    return Manager(registry, options, CONTROLLERS)


def starter(node_prefix: str, speed: float) -> Callable[[Registry], Awaitable[Stop]]:
    """What the API server runs at start-up: bootstrap, then every controller on the running
    event loop; the result stops them."""

    async def start(registry: Registry) -> Stop:
        running = manager(registry, Options(node_prefix=node_prefix, speed=speed))
        await running.start()
        return running.stop

    return start
