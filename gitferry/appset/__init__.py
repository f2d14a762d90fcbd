"""ApplicationSet generators, templating and progressive sync.

Rules of the package (Argo CD's, `reference/argocd-policy.md` section 5):
- Generation is one pass: every generator entry in order, each entry's parameter sets filtered
  by its post `selector`, each set rendered into an Application; results concatenated. Any
  generator or template error aborts the whole pass with one typed error (`errors`) that names
  the generator and the parameter set: nothing may be created, updated or deleted then.
- Validation of the rendered Applications only excludes the bad ones: a duplicate name keeps
  the first occurrence; names, destination and project are checked (`validate`).
- fasttemplate (`{{ key }}` over flat string parameters) is the default engine; `goTemplate`
  runs Go's text/template with Sprig (`gotemplate`). Every string of the template is rendered,
  map keys included.
- Git generators read repositories only through the `gitreader.GitReader` protocol
  (implemented by `gitferry.source.repositories.Repositories`, or by the CLI over local
  directories); everything else is pure.
- RollingSync planning (`rollingsync`) is a pure function of the strategy, the generated and
  live Applications and the previous `status.applicationStatus`.

Modules: `generate` (the entry point), `generators/` (list, clusters, git, matrix, merge and
their dispatch), `templating` (template merge, rendering, templatePatch), `fasttemplate`,
`gotemplate/` (Go's text/template and Sprig) with `functions` (Argo CD's function table),
`params` (parameter shapes, flattening, path parameters), `kyaml` (YAML as
sigs.k8s.io/yaml reads and writes it), `selectors`, `filematch` (the git files generator's
globbing), `gitreader`, `validate`, `rollingsync`, `errors`. Called by the controller and
`gitferry appset`.
"""
