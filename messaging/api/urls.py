from django.urls import URLPattern, URLResolver

from messaging.api import chat, devices, notifications

app_name = "messaging"

urlpatterns: list[URLPattern | URLResolver] = [  # chat first: the busiest (guardiannest/urls.py)
    *chat.urlpatterns,
    *notifications.urlpatterns,
    *devices.urlpatterns,
]
