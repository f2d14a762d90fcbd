"""Plain data with no I/O: resource keys, Argo CD spec and status types, annotation and
sync-option constants, status enums and the error tree. Imports only _kit and observe.
"""
