"""Writes of communications, by sub-domain: plans, notices, support services and enquiries."""
