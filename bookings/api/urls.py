from bookings.api import outcomes, views

app_name = "bookings"

urlpatterns = [*views.urlpatterns, *outcomes.urlpatterns]

__all__ = ["app_name", "urlpatterns"]
