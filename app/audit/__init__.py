"""The append-only audit log of state changes that matter."""
