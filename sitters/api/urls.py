from django.urls import URLPattern, URLResolver

from sitters.api import availability, certifications, families, profile, public, search, verification

app_name = "sitters"

urlpatterns: list[URLPattern | URLResolver] = [
    *profile.urlpatterns,
    *certifications.urlpatterns,
    *verification.urlpatterns,
    *availability.urlpatterns,
    *families.urlpatterns,
    *search.urlpatterns,
    # Last: sitters/<uuid> must not shadow sitters/me.
    *public.urlpatterns,
]
