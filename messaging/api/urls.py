from django.urls import URLPattern, URLResolver

from messaging.api import chat, devices, notifications

app_name = "messaging"

urlpatterns: list[URLPattern | URLResolver] = [
    *notifications.urlpatterns,
    *devices.urlpatterns,
    *chat.urlpatterns,
]
