"""Analysis of recognized texts as plain data: search, compare, export (imports wire only)."""
