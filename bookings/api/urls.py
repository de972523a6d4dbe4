from bookings.api import locations, moves, outcomes, series, views

app_name = "bookings"

urlpatterns = [
    *views.urlpatterns,
    *series.urlpatterns,
    *moves.urlpatterns,
    *outcomes.urlpatterns,
    *locations.urlpatterns,
]
