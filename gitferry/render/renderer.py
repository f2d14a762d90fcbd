"""`Renderer`: an Application's sources in, desired manifests out (Argo CD's repo-server).

`render_app` resolves every source's revision, renders each source (from the manifest cache
when the same inputs at the same commits were rendered before, so a repeat does no Git or
renderer work), then
concatenates them in source order and applies the pure post-steps: namespace normalisation,
de-duplication (last wins, `RepeatedResourceWarning`) and tracking metadata.
`render_source` is the lower-level step for one source, without the post-steps.

Called by the controller's refresh and the CLI's `gitferry render`; the caller provides the
`SourceProvider` (`gitferry.source` in production) and the `RenderOptions`.
"""

from __future__ import annotations

import asyncio
import collections
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from gitferry.model.application import Application
from gitferry.model.errors import GitFerryError, InvalidSpecError, RenderLimitError
from gitferry.model.source import ApplicationSource, HelmOptions
from gitferry.render import (
    cache,
    detect,
    directory,
    envsubst,
    helm,
    kustomize,
    manifests,
    normalize,
    paths,
    tracking,
    valuefiles,
    workers,
)
from gitferry.render.detect import SourceType
from gitferry.render.options import (
    RenderCondition,
    RenderOptions,
    RenderResult,
    SourceProvider,
    SourceRender,
)

# Only content-addressed revisions are cached: a provider may serve a plain working
# directory under a symbolic revision whose content changes.
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def _cacheable(source: ApplicationSource, revision: str, refs: dict[str, tuple[str, str]]) -> bool:
    commits = [sha for _, sha in refs.values()]
    if not source.is_helm_chart:
        commits.append(revision)
    return all(_COMMIT.fullmatch(sha) for sha in commits)


def _mentions_refs(options: HelmOptions | None) -> bool:
    if options is None:
        return False
    specs = [*options.value_files, *(p.path for p in options.file_parameters)]
    return any(spec.startswith("$") for spec in specs)


class Renderer:
    """Renders applications; holds the manifest cache and the Helm worker processes."""

    def __init__(
        self,
        *,
        manifest_cache: cache.ManifestCache | None = None,
        helm_workers: int = 2,
        helm_memory_bytes: int = 4 * 1024**3,
    ) -> None:
        """`helm_workers` renders run at once, each in a process limited to
        `helm_memory_bytes` of address space (0: unlimited)."""
        self.cache = manifest_cache if manifest_cache is not None else cache.ManifestCache()
        self.helm_pool = workers.WorkerPool(
            "gitferry.render.helm_worker:render",
            size=helm_workers,
            what="helm template",
            memory_limit=helm_memory_bytes,
        )
        # Renderer runs by source type (cache hits do not count).
        self.renders: collections.Counter[str] = collections.Counter()

    def close(self) -> None:
        """Stop the Helm worker processes."""
        self.helm_pool.close()

    async def render_app(
        self, app: Application, provider: SourceProvider, options: RenderOptions | None = None
    ) -> RenderResult:
        """The desired manifests of `app`, normalised and tracked."""
        options = options or RenderOptions()
        problems = app.spec_problems()
        if problems:
            raise InvalidSpecError(f"app {app.name}: {'; '.join(problems)}")
        stale: list[RenderCondition] = []
        revisions = await self._resolve_all(app, provider, stale)
        indexes = [i for i, s in enumerate(app.sources) if not s.is_ref_only]
        renders = await asyncio.gather(
            *(self._render_wrapped(app, i, provider, options, revisions) for i in indexes)
        )
        by_index = dict(zip(indexes, renders, strict=True))
        if sum(r.size for r in renders) > options.max_manifest_bytes:
            raise RenderLimitError(
                f"app {app.name}: manifests exceed {options.max_manifest_bytes} bytes combined"
            )
        combined: list[dict[str, Any]] = []
        for render in renders:
            combined.extend(render.manifests)
        scope = options.is_namespaced or normalize.builtin_scope
        destination = app.destination.namespace
        combined = normalize.normalize_namespaces(combined, destination, scope)
        combined, warnings = normalize.deduplicate(combined)
        combined = tracking.add_tracking(
            combined,
            instance=app.instance_name(options.control_namespace),
            destination_namespace=destination,
            method=tracking.TrackingMethod.parse(options.tracking_method),
            label_key=options.instance_label_key,
            installation_id=options.installation_id,
        )
        return RenderResult(
            manifests=combined,
            revisions=list(revisions),
            source_types=[
                by_index[i].source_type if i in by_index else "" for i in range(len(app.sources))
            ],
            warnings=stale + [w for r in renders for w in r.warnings] + warnings,
        )

    async def render_source(
        self,
        app: Application,
        index: int,
        provider: SourceProvider,
        options: RenderOptions | None = None,
        *,
        revisions: Sequence[str] | None = None,
    ) -> SourceRender:
        """The renderer output of `app.sources[index]` (resolving revisions when not given)."""
        options = options or RenderOptions()
        if revisions is None:
            revisions = await self._resolve_all(app, provider)
        source = app.sources[index]
        revision = revisions[index]
        refs = {
            f"${s.ref}": (s.repo_url, revisions[i])
            for i, s in enumerate(app.sources)
            if s.ref and app.multi_source
        }
        key = self._key(app, source, revision, refs, options)
        cacheable = _cacheable(source, revision, refs)
        hit = self.cache.get(key) if cacheable else None
        if hit is not None:
            data = hit.manifests
            return SourceRender(
                orjson.loads(data), revision, hit.source_type, cached=True, size=len(data)
            )
        found, source_type = await self._render_fresh(
            app, source, revision, refs, provider, options
        )
        data = manifests.dumps(found)
        if len(data) > options.max_manifest_bytes:
            raise RenderLimitError(f"manifests exceed {options.max_manifest_bytes} bytes")
        if cacheable:
            self.cache.put(key, cache.Entry(data, source_type))
        return SourceRender(orjson.loads(data), revision, source_type, size=len(data))

    async def _render_wrapped(
        self,
        app: Application,
        index: int,
        provider: SourceProvider,
        options: RenderOptions,
        revisions: Sequence[str],
    ) -> SourceRender:
        try:
            return await self.render_source(app, index, provider, options, revisions=revisions)
        except GitFerryError as err:
            where = f"app {app.name}: " + (f"sources[{index}]: " if app.multi_source else "")
            raise type(err)(f"{where}{err}") from err

    async def _resolve_all(
        self,
        app: Application,
        provider: SourceProvider,
        stale: list[RenderCondition] | None = None,
    ) -> list[str]:
        """The revision of every source; `stale` collects a ComparisonError for each repository
        that could not be reached (its last known commit is used)."""

        async def one(source: ApplicationSource) -> str:
            if source.is_helm_chart:
                return source.target_revision
            resolved = await provider.resolve(source.repo_url, source.revision)
            if resolved.from_cache and stale is not None:
                why = getattr(resolved, "warning", "") or "unreachable"
                stale.append(
                    RenderCondition(
                        "ComparisonError",
                        f"{why}; comparing with the last known commit {resolved.sha[:7]}",
                    )
                )
            return resolved.sha

        return list(await asyncio.gather(*(one(s) for s in app.sources)))

    def _key(
        self,
        app: Application,
        source: ApplicationSource,
        revision: str,
        refs: dict[str, tuple[str, str]],
        options: RenderOptions,
    ) -> str:
        return cache.digest(
            {
                "source": [source.repo_url, revision, source.path, source.chart, source.raw],
                "refs": refs,
                "app": [
                    app.name,
                    app.instance_name(options.control_namespace),
                    app.project,
                    app.destination.namespace,
                ],
                "options": [
                    options.kube_version,
                    list(options.api_versions),
                    options.allow_remote_values,
                    list(options.kustomize_command),
                    options.max_manifest_bytes,
                    options.max_files,
                ],
            }
        )

    async def _render_fresh(
        self,
        app: Application,
        source: ApplicationSource,
        revision: str,
        refs: dict[str, tuple[str, str]],
        provider: SourceProvider,
        options: RenderOptions,
    ) -> tuple[list[dict[str, Any]], str]:
        if source.is_helm_chart:
            root = await provider.chart(source.repo_url, source.chart, revision)
            app_dir = root
        else:
            root = await provider.snapshot(source.repo_url, revision)
            app_dir = paths.app_dir(root, source.path)
        instance = app.instance_name(options.control_namespace)
        env = envsubst.build_env(app, source, revision, options.control_namespace)
        source = await asyncio.to_thread(detect.merge_overrides, source, root, app_dir, instance)
        kind = await asyncio.to_thread(detect.source_type, source, app_dir)
        self.renders[kind] += 1
        if kind is SourceType.DIRECTORY:
            found = await asyncio.to_thread(
                directory.render_directory,
                root,
                app_dir,
                source.directory,
                max_bytes=options.max_manifest_bytes,
                max_files=options.max_files,
            )
        elif kind is SourceType.KUSTOMIZE:
            found = await kustomize.render_kustomize(root, app_dir, source.kustomize, env, options)
        else:
            helm_options = source.helm or HelmOptions()
            ref_roots: dict[str, Path] = {}
            if _mentions_refs(helm_options):
                for name, (url, sha) in refs.items():
                    ref_roots[name] = await provider.snapshot(url, sha)
            place = valuefiles.Place(
                root,
                app_dir,
                ref_roots,
                env,
                options.allow_remote_values,
                options.max_manifest_bytes,
            )
            target = helm.HelmSource(
                root,
                app_dir,
                release=helm_options.release_name or app.name,
                namespace=helm_options.namespace or app.destination.namespace,
            )
            found = await helm.render_helm(
                target, place, helm_options, options, provider, self.helm_pool
            )
        return manifests.flatten_lists(found, paths.relative(root, app_dir)), str(kind)
