from django.urls import URLPattern, URLResolver

from feedback.api import feature_requests, feedback, surveys

app_name = "feedback"

urlpatterns: list[URLPattern | URLResolver] = [
    *feedback.urlpatterns,
    *feature_requests.urlpatterns,
    *surveys.urlpatterns,
]
