from django.urls import URLPattern, URLResolver

from payments.api import methods, payments, webhooks

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    *methods.urlpatterns,
    *webhooks.urlpatterns,
    *payments.urlpatterns,
]
