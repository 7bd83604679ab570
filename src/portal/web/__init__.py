"""Cross-cutting HTTP: security headers, logging, errors, htmx helpers, sessions."""
