"""Routes. The core mounts each app's ``api/urls.py``; it knows no app otherwise.

API paths have no trailing slash; TrailingSlashMiddleware answers them with one
too. Only ``/admin/`` keeps Django's slash.
"""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from guardiannest.health import views as health
from guardiannest.metrics import metrics
from guardiannest.realtime.views import RealtimeTicketApi

# Django tries each app's routes in turn, in this order: the busiest (chat) first. No route shadows
# another, whatever the order (guardiannest/tests/test_routes.py).
api_v1: list[URLPattern | URLResolver] = [
    path("", include("messaging.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("feedback.api.urls")),
    path("", include("files.api.urls")),
    path("", include("sitters.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("bookings.api.urls")),
    path("", include("emergencies.api.urls")),
    path("", include("analytics.api.urls")),
    path("realtime/ticket", RealtimeTicketApi.as_view(), name="realtime-ticket"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("health/services", health.ServicesHealthApi.as_view(), name="health-services"),
    path("metrics", metrics, name="metrics"),
    # admin.site requires a session verified by a one-time password (accounts.apps.BackOfficeAdminConfig).
    path("admin/", admin.site.urls),
]

handler400 = "guardiannest.api.errors.bad_request"
handler403 = "guardiannest.api.errors.permission_denied"
handler404 = "guardiannest.api.errors.not_found"
handler500 = "guardiannest.api.errors.server_error"
