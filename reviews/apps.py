from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from failure_regime.verbs import register_labels
        from reviews.verbs import LABELS

        register_labels(LABELS)

    def seed_demo(self) -> None:
        from reviews.demo import seed_demo

        seed_demo()
