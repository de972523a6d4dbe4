from django.urls import URLPattern, URLResolver

from payments.api import methods, payments, receipts, webhooks

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    *methods.urlpatterns,
    *webhooks.urlpatterns,
    *receipts.urlpatterns,
    *payments.urlpatterns,
]
