"""Read queries of messaging, one module per subdomain: chat, notifications, devices."""
