"""Reaching the floor: count sheets e-mailed to counters, the planned counts as a calendar, reminders."""
