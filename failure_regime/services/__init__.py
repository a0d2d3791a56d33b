"""Writes of the regime, by sub-domain. Each service checks its rule, writes, and audits in one transaction."""
