from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "guardiannest.realtime"
    label = "realtime"
    verbose_name = "Realtime"

    def ready(self) -> None:
        from guardiannest.realtime.sessions import watch_user_access

        watch_user_access()
