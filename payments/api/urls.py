from django.urls import URLPattern, URLResolver

from payments.api import methods, payments, payouts, simulated, webhooks

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    *methods.urlpatterns,
    *webhooks.urlpatterns,
    *payouts.urlpatterns,
    *simulated.urlpatterns,
    *payments.urlpatterns,
]
