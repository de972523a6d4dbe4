"""What the feedback app reads for its callers: one module per subdomain."""
