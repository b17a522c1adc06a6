"""Excel workbooks out of s11 and the chair's summary of a round."""
