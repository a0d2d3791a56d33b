from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "communications"
    verbose_name = "Communications"

    def ready(self) -> None:
        from accounts.models import Role
        from accounts.roles import register_role_permissions
        from communications.verbs import LABELS
        from failure_regime.verbs import register_labels

        register_labels(LABELS)

        from communications import visibility
        from communications.public_cache import public_records_follow

        public_records_follow()

        visibility.register()
        from communications import work

        work.register()
        # Plan items are deadlines on the regime's clock: this registers who hears about them, and when.
        import communications.services.plans  # noqa: F401
        from accounts.role_removal import register_role_removal
        from communications.services.role_removal import enquiries_return_on_role_removal

        # Removing a family liaison role hands the officer's enquiries back to their team (accounts.role_removal).
        register_role_removal("communications.enquiries", enquiries_return_on_role_removal)
        # National oversight reads every plan and notice, whichever organisation wrote it. It gets no
        # model-wide view of enquiries, their notes or referrals: those hold members of the public's
        # personal data, which only the family liaison staff handling them need (granted per object).
        # Support services are public information and need no permission to read.
        register_role_permissions(
            {
                Role.NATIONAL_OVERSIGHT: {
                    "communications.view_communicationsplan",
                    "communications.view_planaudience",
                    "communications.view_planitem",
                    "communications.view_notice",
                    "communications.view_noticeversion",
                    "communications.view_noticeapproval",
                },
            }
        )

    def seed_demo(self) -> None:
        from communications.demo import seed_demo

        seed_demo()
