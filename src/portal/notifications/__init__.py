"""Transactional email through an outbox: stored with the change that causes it, sent by a job once."""
