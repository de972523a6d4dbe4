"""What the search tests share: the endpoint, a Berlin search point, sitters placed around it."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from sitters.models import SitterProfile
from sitters.tests.factories import SitterProfileFactory

URL = "/api/v1/search/sitters"
BERLIN = {"latitude": 52.52, "longitude": 13.405}  # 3 decimals: what the API searches from


def sitter_at(lat: float, lon: float, **fields: Any) -> SitterProfile:
    fields.setdefault("service_radius_km", 100)
    profile: SitterProfile = SitterProfileFactory(latitude=lat, longitude=lon, **fields)
    return profile


def north_of_berlin(km: float, **fields: Any) -> SitterProfile:
    """A sitter ``km`` due north of the Berlin search point (1° of latitude ≈ 111.195 km)."""
    return sitter_at(BERLIN["latitude"] + km / 111.19508, BERLIN["longitude"], **fields)


def search(client: APIClient, **params: Any) -> Any:
    response = client.get(URL, {**BERLIN, **params})
    assert response.status_code == 200, response.content
    return response.json()


def ids(body: dict[str, Any]) -> list[str]:
    return [result["id"] for result in body["results"]]
