"""Live tracking and safety timers of a booking under way (issue 15, items 5 and 6).

A part of bookings because bookings own the state it depends on ("in
progress", "confirmed but nobody checked in"); kept in its own package:

- ``models``: :class:`BookingLocation` (a sitter's fix) and :class:`SafetyAlert` (one row per booking and kind:
  the claim that makes a timer alert once).
- ``alerts``: the registry through which emergencies open and resolve a timer's alert (bookings never import them).
- ``validation``: the shape of a fix, shared by the socket and HTTP.
- ``services``: ``locations`` (rate, state, insert, ``location.updated`` after commit, retention, GDPR) and
  ``safety`` (the timers: claim, hand to the alerter, resolve when the booking moves on).
- ``selectors``: the audited trail for the parent and staff.
- ``consumers``: the socket's ``location`` message; ``tasks``: the beat jobs; ``setup``: what bookings' ready() wires.
"""
