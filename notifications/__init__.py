"""Notifications context: messages to customers and staff, sent through Django's email backend."""
