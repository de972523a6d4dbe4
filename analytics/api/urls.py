from analytics.api import views

app_name = "analytics"

urlpatterns = [*views.urlpatterns]
