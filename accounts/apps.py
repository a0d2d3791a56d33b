from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and organisations"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from accounts import checks, roles  # noqa: F401 - checks registers the deployment checks
        from accounts.middleware import session_start

        roles.register_role_permissions(roles.ACCOUNTS_ROLE_PERMISSIONS)
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="accounts.sync_role_groups")
        user_logged_in.connect(session_start, dispatch_uid="accounts.session_start")

        from accounts import selectors
        from accounts.visibility import register_visible

        # Who may see which audit event in the event feed and webhooks (see accounts.visibility).
        register_visible("accounts.Organisation", lambda user: selectors.organisation_list_for_user(user=user))
        register_visible("accounts.Membership", lambda user: selectors.member_list_for_user(user=user), personal=True)
        register_visible(
            "accounts.WebhookSubscription", lambda user: selectors.webhook_subscription_list_for_user(user=user)
        )
