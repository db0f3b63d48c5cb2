"""Plain records and rules, no I/O: exact values, stock records, line identity, scheduling,
variance, review, causes, money."""
