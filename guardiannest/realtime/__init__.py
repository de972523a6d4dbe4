"""Websockets: tickets, origin check, the ``/ws/v1`` consumer and broadcasting."""
