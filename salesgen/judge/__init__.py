"""Judges and the panel that combines them (see judge/panel.py and data/judge/weights.toml)."""
