"""Boundaries to the outside: the job queue and the mail transport."""
