from bookings.api import locations, views

app_name = "bookings"

urlpatterns = views.urlpatterns + locations.urlpatterns

__all__ = ["app_name", "urlpatterns"]
