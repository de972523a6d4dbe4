from django.urls import URLPattern, URLResolver

from payments.api import methods, payments, payouts, receipts, simulated, webhooks

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    *methods.urlpatterns,
    *webhooks.urlpatterns,
    *payouts.urlpatterns,
    *simulated.urlpatterns,
    *receipts.urlpatterns,
    *payments.urlpatterns,
]
