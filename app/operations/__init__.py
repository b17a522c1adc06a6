"""Running s11 for real: retention and erasure of personal data, metrics and request logs."""
