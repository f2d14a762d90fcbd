"""Pure comparison of desired and live objects: normalisation, ignoreDifferences, diffs."""
