from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "guardiannest.realtime"
    label = "realtime"
    verbose_name = "Realtime"
