"""A year's Section 11 round: the cycle, its questionnaire version, dates and partnerships."""
