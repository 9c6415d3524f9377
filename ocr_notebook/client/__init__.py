"""HTTP client: I/O-free base, sync/async shells, auth, polling (imports results, regions, wire)."""
