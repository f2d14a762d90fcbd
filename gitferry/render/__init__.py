"""The only package that runs renderers: it turns an Application's sources into the desired
manifests, as Argo CD's repo-server does (reference `argocd-application.md` 1.4-1.14, 4.7).

Entry point: `renderer.Renderer.render_app`, called by the controller's refresh and by the
CLI's `gitferry render`; the CLI wires in the real source provider (`gitferry.source`) through
the `options.SourceProvider` protocol, since this package may not import it.

Rules this package keeps:

- **Sources are read-only.** A snapshot is shared by every app at that commit. Nothing here
  writes into it; Kustomize options are applied to a hard-linked temporary copy in which the
  edited kustomization file is replaced, never modified in place.
- **Nothing outside the repository root is read.** `..`, absolute paths and symlinks that
  escape are refused with `UnsafePathError` for values files, file parameters, directory
  apps, kustomize bases and resources and Helm chart directories, before any renderer runs.
- **Everything a user controls is capped**: manifest bytes per application, files per
  application and renderer time (the renderer is killed when it runs over).
- **Renderers run out of process.** Kustomize is a subprocess; Helm (a Go runtime through
  ctypes) runs in worker processes that are killed and replaced on timeout.
- **Post-processing is separate and pure**: namespace normalisation, de-duplication and
  tracking metadata are applied after rendering (`normalize`, `tracking`), never inside a
  renderer, so the manifest cache holds renderer output only.
"""
