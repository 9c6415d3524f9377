"""Local SQLite result store; answer from it, back up NotExist (imports client, results, wire)."""
