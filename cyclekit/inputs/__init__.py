"""What comes in from other systems: exports, the locations file, values as people type them."""
