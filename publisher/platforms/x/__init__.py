"""X API v2: adapter, spec, fake and the weighted length (twitter-text v3)."""
