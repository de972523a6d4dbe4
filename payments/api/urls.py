from django.urls import URLPattern, URLResolver

from payments.api import methods, payments

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    *methods.urlpatterns,
    *payments.urlpatterns,
]
