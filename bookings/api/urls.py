from bookings.api.views import urlpatterns

app_name = "bookings"

__all__ = ["app_name", "urlpatterns"]
