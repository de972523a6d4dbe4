from bookings.api import locations, outcomes, views

app_name = "bookings"

urlpatterns = [*views.urlpatterns, *outcomes.urlpatterns, *locations.urlpatterns]

__all__ = ["app_name", "urlpatterns"]
