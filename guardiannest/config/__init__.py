"""GuardianNest's settings, in parts: ``guardiannest.settings`` is the module Django loads."""
