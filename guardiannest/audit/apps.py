from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "guardiannest.audit"
    label = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from guardiannest.registries import staff_role_permissions

        # Both roles read the audit log (support: what happened to an account; finance: who moved money).
        staff_role_permissions.register(
            "audit", {"support": ("audit.view_auditevent",), "finance": ("audit.view_auditevent",)}
        )
