"""The SQL index: a catalogue derived from git, rebuildable and synced incrementally."""
