"""The frontline practitioners' survey: anonymous links per agency, answers kept without
identity, results shown only for groups of at least k, and triangulation with the returns."""
