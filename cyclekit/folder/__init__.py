"""The cycle folder: manifest, frozen snapshot, checksums, the lock, crash-safe commits."""
