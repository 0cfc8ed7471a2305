"""Transports that carry calls into shipping."""
