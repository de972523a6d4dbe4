"""Liveness, readiness, external services: what operators and load balancers ask."""
