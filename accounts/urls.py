from django.urls import path

from accounts.views import auth, session, staff, webhooks

app_name = "accounts"

urlpatterns = [
    path("sign-in/", auth.sign_in, name="sign-in"),
    path("sign-in/two-factor/", auth.two_factor, name="two-factor"),
    path("sign-in/two-factor/set-up/", auth.two_factor_set_up, name="two-factor-set-up"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("sign-in/password-reset/", auth.password_reset, name="password-reset"),
    path("sign-in/password-reset/sent/", auth.password_reset_sent, name="password-reset-sent"),
    path("sign-in/password-reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password_reset_confirm"),
    path("sign-in/password-reset/complete/", auth.password_reset_complete, name="password-reset-complete"),
    path("staff/organisations/", staff.organisation_list, name="organisation-list"),
    path("staff/organisations/<int:pk>/", staff.organisation_detail, name="organisation-detail"),
    path("staff/organisations/<int:pk>/audit/", staff.organisation_audit, name="organisation-audit"),
    path("staff/api-access/", staff.api_token, name="api-token"),
    path("staff/api-access/revoke/", staff.api_token_revoke, name="api-token-revoke"),
    path("staff/audit-trail/", staff.audit_integrity, name="audit-integrity"),
    path("staff/stay-signed-in/", session.stay_signed_in, name="stay-signed-in"),
    path("staff/unsent-work/", session.unsent_work, name="unsent-work"),
    path("staff/webhooks/", webhooks.webhook_list, name="webhook-list"),
    path("staff/webhooks/new/", webhooks.webhook_create, name="webhook-create"),
    path("staff/webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook-detail"),
    path("staff/webhooks/<int:pk>/rotate-secret/", webhooks.webhook_rotate, name="webhook-rotate"),
    path("staff/webhooks/<int:pk>/disable/", webhooks.webhook_disable, name="webhook-disable"),
]
