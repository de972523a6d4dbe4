"""API of email verification and passwords (reset, change)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
