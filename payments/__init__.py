"""Payments context: charges and refunds through a (simulated) payment provider."""
