"""The judges, one per file; each registers itself by name with @register."""
