"""The simulated provider's hosted onboarding (embedded default): the page a sitter's onboarding link opens.

With Stripe the link opens Stripe's pages; with the simulated provider it
opens this one, so ``make run`` users can walk a sitter through onboarding:
GET shows the page, POST finishes onboarding (payouts enabled, accrued
earnings released) and shows the way back to the app. The signed token in the
link (one hour) is the credential, as the AccountLink's URL is at Stripe; with
another provider, or a bad token, the page does not exist.
"""

from __future__ import annotations

from django.core.signing import BadSignature
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from guardiannest.errors import ApplicationError
from payments.providers import payment_provider
from payments.providers.simulated import SimulatedProvider, onboarding_token_read
from payments.services.payouts import payout_onboarding_simulate_complete


@csrf_exempt  # the signed token is the credential; there is no session here
@require_http_methods(["GET", "POST"])
def simulated_onboarding(request: HttpRequest) -> HttpResponse:
    if not isinstance(payment_provider(), SimulatedProvider):
        raise Http404
    try:
        claims = onboarding_token_read(request.GET.get("token", ""))
    except BadSignature as exc:
        raise Http404 from exc
    done = False
    if request.method == "POST":
        try:
            done = payout_onboarding_simulate_complete(account_id=claims["account"]).payouts_ready
        except ApplicationError as exc:
            raise Http404 from exc
    context = {"done": done, "return_url": claims["return_url"]}
    response = render(request, "payments/simulated_onboarding.html", context)
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("payments/payouts/simulated-onboarding", simulated_onboarding, name="payout-simulated-onboarding"),
]
