"""Independent leads, expert recruitment and case-note review."""
