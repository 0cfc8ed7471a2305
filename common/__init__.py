"""Shared kernel: money, the domain error base and the boundary seam. No context's models."""
