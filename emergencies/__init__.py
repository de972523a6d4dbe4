"""SOS alerts, escalation and live location tracking."""
