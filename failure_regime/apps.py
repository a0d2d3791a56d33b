from django.apps import AppConfig


class FailureRegimeConfig(AppConfig):
    name = "failure_regime"
    verbose_name = "Single failure regime"

    def ready(self) -> None:
        from accounts.models import Role
        from accounts.roles import register_role_permissions

        # CQC sees every concern and enforcement action (it regulates every provider); national
        # oversight reads everything. Cases are granted per party organisation.
        register_role_permissions(
            {
                Role.NATIONAL_OVERSIGHT: {
                    "failure_regime.view_case",
                    "failure_regime.view_concern",
                    "failure_regime.view_enforcementaction",
                },
                Role.INSPECTOR: {"failure_regime.view_concern", "failure_regime.view_enforcementaction"},
                Role.REGULATOR_DECISION_MAKER: {"failure_regime.view_concern", "failure_regime.view_enforcementaction"},
            }
        )
