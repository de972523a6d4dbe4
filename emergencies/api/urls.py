from emergencies.api.views import urlpatterns

app_name = "emergencies"

__all__ = ["app_name", "urlpatterns"]
