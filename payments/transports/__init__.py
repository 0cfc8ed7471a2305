"""Transports that carry calls into payments."""
