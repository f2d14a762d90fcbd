"""Pure helpers with no domain knowledge (YAML and JSON I/O with size limits, clocks,
backoff, digests). Everything may import this package; it imports nothing of gitferry.
"""
