"""Recommendations agreed at panels, agency action plans and the Composite Action Plan."""
