"""Transports that carry calls into inventory."""
