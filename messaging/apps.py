from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Conversations and messages (realtime chat); notifications (email, SMS, push) with preferences."""

    name = "messaging"
    verbose_name = "Messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # GDPR: notifications and preferences; the tasks module is imported so the worker
        # registers its tasks whatever autodiscovery looks at.
        from guardiannest.registries import gdpr_erasers, gdpr_exporters
        from messaging import tasks  # noqa: F401
        from messaging.services.conversations import chat_erase, chat_export
        from messaging.services.devices import devices_erase, devices_export
        from messaging.services.notifications import notifications_erase, notifications_export
        from messaging.services.phone import phone_verifications_erase

        gdpr_exporters.register("notifications", notifications_export)
        gdpr_erasers.register("notifications", notifications_erase)
        gdpr_exporters.register("chat", chat_export)
        gdpr_erasers.register("chat", chat_erase)
        gdpr_exporters.register("devices", devices_export)
        gdpr_erasers.register("devices", devices_erase)
        gdpr_erasers.register("phone_verifications", phone_verifications_erase)

        from files.selectors import file_access_rules
        from messaging.selectors.chat import chat_attachment_visible

        file_access_rules.register("chat", chat_attachment_visible)

        # Deliveries of emergency kinds go to the critical queue (messaging.services.delivery picks the task);
        # outbox rows whose delivery task was lost are sent again: nothing lost, nothing sent twice.
        from django.conf import settings

        from guardiannest.registries import QUEUE_CRITICAL, beat_entries, task_routes

        task_routes.register("messaging.deliver_critical", QUEUE_CRITICAL)
        task_routes.register("messaging.redrive_critical_deliveries", QUEUE_CRITICAL)
        beat_entries.register("redrive-deliveries", {"task": "messaging.redrive_deliveries", "schedule": 60.0})
        # Emergency deliveries whose worker died are picked up within seconds (their lease is short).
        beat_entries.register(
            "redrive-critical-deliveries",
            {
                "task": "messaging.redrive_critical_deliveries",
                "schedule": float(settings.MESSAGING_CRITICAL_REDRIVE_SECONDS),
            },
        )

        from messaging.kinds import Category, Channel, Kind, register

        register(
            # A chat message while the recipient has no socket open.
            Kind(
                "chat.message_offline",
                Category.CHAT,
                frozenset({Channel.PUSH}),
                required=("sender_name", "conversation_id"),
                data_keys=("conversation_id", "message_id"),
            ),
            # Opt-in only, one-click unsubscribe, never SMS.
            Kind("marketing.newsletter", Category.MARKETING, frozenset({Channel.EMAIL}), required=("headline",)),
        )

        # Staff roles: support reads chat and notifications and sends failed deliveries again; finance sees what went
        # out (receipts).
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "messaging",
            {
                "support": (
                    "messaging.view_conversation",
                    "messaging.view_message",
                    "messaging.view_notification",
                    "messaging.view_delivery",
                    "messaging.change_delivery",
                    "messaging.view_notificationpreference",
                    "messaging.view_device",
                    "messaging.view_phoneverification",
                ),
                "finance": (
                    "messaging.view_notification",
                    "messaging.view_delivery",
                ),
            },
        )
