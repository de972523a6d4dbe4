"""Users, roles, authentication, sessions and devices, families (parent profiles, children, emergency contacts)."""
