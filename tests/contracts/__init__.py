"""Contract suites: one per boundary, the same assertions over every transport."""
