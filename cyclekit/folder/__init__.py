"""The cycle folder: manifest, frozen snapshot, checksums, the lock, atomic writes, crash-safe commits."""
