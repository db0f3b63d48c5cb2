"""Plain records and rules, no I/O: scheduling, variance, causes, money."""
