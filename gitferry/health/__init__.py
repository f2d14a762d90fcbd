"""Pure health assessment: one module per kind, a dispatch table, aggregation."""
