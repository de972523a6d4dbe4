from django.apps import AppConfig


class SittersConfig(AppConfig):
    """Sitter profiles, certifications, verification, availability and holds, search, reviews and ratings."""

    name = "sitters"
    verbose_name = "Sitters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Demo data, GDPR export and erasure; the tasks package is imported so workers register its tasks.
        from django.db.models.signals import post_delete, post_save, pre_delete

        from accounts.models import User
        from files.models import StoredFile
        from guardiannest.registries import demo_seeders, gdpr_erasers, gdpr_exporters
        from sitters import demo, tasks  # noqa: F401
        from sitters.models import SitterProfile
        from sitters.services.gdpr import sitter_erase, sitter_export
        from sitters.signals import sitter_profile_deleted, stored_file_changed, user_saved

        # Cache invalidation for changes other apps make (sitters.signals says which).
        post_save.connect(stored_file_changed, sender=StoredFile, dispatch_uid="sitters.stored_file_saved")
        # Before the delete: the profile or certification still points at the file then (SET_NULL comes after).
        pre_delete.connect(stored_file_changed, sender=StoredFile, dispatch_uid="sitters.stored_file_deleted")
        post_save.connect(user_saved, sender=User, dispatch_uid="sitters.user_saved")
        post_delete.connect(sitter_profile_deleted, sender=SitterProfile, dispatch_uid="sitters.profile_deleted")

        # A verified identity goes back to review when the name it was checked against changes.
        from accounts.hooks import name_changed
        from sitters.services.verification import verification_identity_on_name_change

        name_changed.register("sitters", verification_identity_on_name_change)

        demo_seeders.register("sitters", demo.seed)
        # The admin home: the verification queue and the flagged reviews (sitters/dashboard.py).
        from sitters.dashboard import dashboard_register

        dashboard_register()
        gdpr_exporters.register("sitters", sitter_export)
        gdpr_erasers.register("sitters", sitter_erase)

        # Availability spans move forward with the calendar; stuck checks are re-driven; expiry reminders.
        from celery.schedules import crontab

        from guardiannest.registries import beat_entries

        beat_entries.register(
            "sitters-availability-extend",
            {"task": "sitters.availability_extend", "schedule": crontab(minute=7, hour="*/6")},
        )
        beat_entries.register(
            "sitters-verification-redrive",
            {"task": "sitters.verification_checks_redrive", "schedule": crontab(minute="*/15")},
        )
        beat_entries.register(
            "sitters-certification-reminders",
            {"task": "sitters.certification_reminders_send", "schedule": crontab(minute=5, hour=8)},
        )

        # Notifications about vetting and credentials: account messages, always sent.
        from messaging.kinds import Category, Channel, Kind, register

        register(
            Kind(
                "sitter.verification_decided",
                Category.ACCOUNT,
                frozenset({Channel.EMAIL, Channel.PUSH}),
                required=("decision", "check"),
                data_keys=("check_id",),
            ),
            Kind(
                "sitter.verification_reopened",
                Category.ACCOUNT,
                frozenset({Channel.EMAIL, Channel.PUSH}),
                required=("check",),
                data_keys=("check_id",),
            ),
            Kind(
                "sitter.certification_expiring",
                Category.ACCOUNT,
                frozenset({Channel.EMAIL, Channel.PUSH}),
                required=("certification", "expires_at"),
                data_keys=("certification_id",),
            ),
        )

        # Staff roles: support verifies sitters (the check's change permission) and moderates reviews; finance finds
        # the payee.
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "sitters",
            {
                "support": (
                    "sitters.view_sitterprofile",
                    "sitters.view_sitterlanguage",
                    "sitters.view_certification",
                    "sitters.view_verificationcheck",
                    "sitters.change_verificationcheck",
                    "sitters.view_review",
                    "sitters.change_review",
                    "sitters.view_hold",
                    "sitters.view_weeklywindow",
                    "sitters.view_availabilityexception",
                    "sitters.view_availabilityspan",
                    "sitters.view_sitterclient",
                    "sitters.view_reliabilityevent",
                ),
                "finance": ("sitters.view_sitterprofile",),
            },
        )
