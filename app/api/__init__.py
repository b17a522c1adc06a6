"""The read feed for the partnership's own reporting: API tokens, JSON and CSV, and OData."""
