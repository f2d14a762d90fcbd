"""The only package that runs renderers: directory, Kustomize, Helm, multi-source.
"""
