"""The REST API under /api/ (DRF). The registry protocol lives under /v2/, not here."""

from django.urls import path

from accounts.api import CurrentUserApi

app_name = "api"

urlpatterns = [
    path("v2/user/", CurrentUserApi.as_view(), name="current-user"),
]
