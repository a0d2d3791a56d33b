from django.apps import AppConfig


class FailureRegimeConfig(AppConfig):
    name = "failure_regime"
    verbose_name = "Single failure regime"
