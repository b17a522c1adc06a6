"""An agency's return for a cycle: answers with their history, status, evidence, submission."""
