"""What comes in from other systems: the inventory export and the locations file, read into domain records."""
