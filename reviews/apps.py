from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from failure_regime.verbs import register_labels
        from reviews.verbs import LABELS

        register_labels(LABELS)

        from reviews import visibility

        visibility.register()
        from reviews import work

        work.register()

    def seed_demo(self) -> None:
        from reviews.demo import seed_demo

        seed_demo()
