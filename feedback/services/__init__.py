"""Every change the feedback app makes: one module per subdomain (feedback, feature requests, surveys, GDPR)."""
