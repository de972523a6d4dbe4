from django.urls import URLPattern, URLResolver, path

from files.api import views

app_name = "files"

urlpatterns: list[URLPattern | URLResolver] = [
    path("files", views.FileCreateApi.as_view(), name="create"),
    path("files/<uuid:file_id>", views.FileDetailApi.as_view(), name="detail"),
    path("files/<uuid:file_id>/content", views.FileContentApi.as_view(), name="content"),
]
