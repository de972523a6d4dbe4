from django.urls import path

from accounts.api import family, firebase, gdpr, mfa, passkeys, passwords, security, views

app_name = "accounts"

urlpatterns = [
    path("auth/register", views.RegisterApi.as_view(), name="register"),
    path("auth/login", views.LoginApi.as_view(), name="login"),
    path("auth/token/refresh", views.TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout", views.LogoutApi.as_view(), name="logout"),
    path("auth/me", views.MeApi.as_view(), name="me"),
    *passwords.urlpatterns,
    *mfa.urlpatterns,
    *passkeys.urlpatterns,
    *firebase.urlpatterns,
    *security.urlpatterns,
    *gdpr.urlpatterns,
    *family.urlpatterns,
]
