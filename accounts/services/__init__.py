"""Account state changes, one module per subdomain."""
