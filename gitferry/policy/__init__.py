"""Pure governance rules: AppProject permissions, sync windows, RBAC."""
