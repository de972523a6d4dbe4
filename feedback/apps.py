from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """What users tell us (feedback, bug reports), ask for (feature requests, votes) and answer (surveys)."""

    name = "feedback"
    verbose_name = "Feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from feedback import demo
        from feedback.services.gdpr import feedback_erase, feedback_export
        from guardiannest.registries import demo_seeders, gdpr_erasers, gdpr_exporters

        demo_seeders.register("feedback", demo.seed)
        gdpr_exporters.register("feedback", feedback_export)
        gdpr_erasers.register("feedback", feedback_erase)

        # Staff roles: support triages feedback and feature requests, writes and sends out surveys, reads results.
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "feedback",
            {
                "support": (
                    "feedback.view_feedback",
                    "feedback.change_feedback",
                    "feedback.view_featurerequest",
                    "feedback.change_featurerequest",
                    "feedback.view_featurevote",
                    "feedback.view_survey",
                    "feedback.add_survey",
                    "feedback.change_survey",
                    "feedback.view_surveyquestion",
                    "feedback.add_surveyquestion",
                    "feedback.change_surveyquestion",
                    "feedback.delete_surveyquestion",
                    "feedback.view_surveyresponse",
                    "feedback.view_surveyanswer",
                ),
            },
        )

        # The admin home: what waits for triage, linking to the filtered list.
        from django.urls import reverse

        from feedback.selectors.feedback import feedback_new_count
        from guardiannest.registries import dashboard_panels

        dashboard_panels.register(
            "feedback.new",
            {
                "title": "Feedback waiting for triage",
                "order": 80,
                "count": feedback_new_count,
                "url": lambda: f"{reverse('admin:feedback_feedback_changelist')}?status__exact=new",
                "permission": "feedback.view_feedback",
                "urgent": False,
            },
        )
