"""Resources as loaded from manifests: typed, validated, positioned, not yet compiled."""
