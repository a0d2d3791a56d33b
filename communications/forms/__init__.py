"""Forms of communications, by sub-domain."""
