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
        from accounts.role_removal import register_role_removal
        from reviews.services.role_removal import reviewer_role_removed

        # Removing a reviewing role ends the reviews and appointments it alone held up (accounts.role_removal).
        register_role_removal("reviews.reviewer", reviewer_role_removed)

    def seed_demo(self) -> None:
        from reviews.demo import seed_demo

        seed_demo()
