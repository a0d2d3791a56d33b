from django.apps import AppConfig


class FailureRegimeConfig(AppConfig):
    name = "failure_regime"
    verbose_name = "Single failure regime"

    def ready(self) -> None:
        from accounts.models import Role
        from accounts.roles import register_role_permissions

        # CQC inspects every provider, so it sees every concern, enforcement action and episode.
        CQC_SEES = {  # noqa: N806
            "failure_regime.view_concern",
            "failure_regime.view_enforcementaction",
            "failure_regime.view_episode",
            "failure_regime.view_inspection",
            "failure_regime.view_recommendation",
        }

        # CQC sees every concern and enforcement action (it regulates every provider); national
        # oversight reads everything. Cases are granted per party organisation.
        register_role_permissions(
            {
                Role.NATIONAL_OVERSIGHT: {
                    "failure_regime.view_case",
                    "failure_regime.view_concern",
                    "failure_regime.view_enforcementaction",
                    "failure_regime.view_episode",
                    "failure_regime.view_inspection",
                    "failure_regime.view_recommendation",
                },
                Role.INSPECTOR: CQC_SEES,
                Role.REGULATOR_DECISION_MAKER: CQC_SEES,
                Role.ADMINISTRATOR: {
                    "failure_regime.view_ruleset",
                    "failure_regime.add_ruleset",
                    "failure_regime.change_ruleset",
                },
            }
        )
        # Who hears about immediate concerns' and special-measures deadlines is registered when the module loads.
        import failure_regime.services.concern_clock
        import failure_regime.services.interventions
        import failure_regime.services.recommendations
        import failure_regime.services.special_measures_recipients  # noqa: F401
        from failure_regime import visibility

        visibility.register()
        from failure_regime import work_sources

        work_sources.register()
        from accounts.role_removal import register_role_removal
        from failure_regime.services.accountability import leads_end_on_role_removal

        # Leaving an organisation ends the accountable leads held for it (accounts.role_removal).
        register_role_removal("regime.leads", leads_end_on_role_removal)
        # The fail-open cache follows requests from the first one (it connects to request_started when it loads).
        import failure_regime.cache  # noqa: F401
