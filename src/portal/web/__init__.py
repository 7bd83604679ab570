"""Cross-cutting HTTP: security headers, request logging, HTML error pages, operator endpoints."""
