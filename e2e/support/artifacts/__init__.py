"""Artifacts safe to share: which values grant access, where the browser shows them, scrubbing."""
