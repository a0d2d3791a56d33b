"""Reads of communications that depend on who is asking, by sub-domain."""
