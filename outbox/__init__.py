"""The event machinery: events written in the business transaction, delivered later."""
