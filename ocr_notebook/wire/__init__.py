"""Wire facts, pure: the v5 operations, task ids, base URLs (imports results.errors only)."""
