"""The policy layer every boundary call goes through: timeouts, retries, circuit breakers, fault injection."""
