"""Forms of reviews, by sub-domain."""
