"""Transports that carry calls into orders."""
