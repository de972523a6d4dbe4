"""Conversations and messages (realtime chat), notifications (email, SMS, push) with preferences and delivery status."""
