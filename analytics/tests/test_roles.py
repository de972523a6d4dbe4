"""Both staff roles read the figures: the admin's Analytics page needs ``analytics.view_analytics``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "finance"])
def test_each_staff_role_reads_the_analytics(role: str) -> None:
    group = Group.objects.get(name=role)

    assert group.permissions.filter(content_type__app_label="analytics", codename="view_analytics").exists()
