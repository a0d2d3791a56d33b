from django.urls import path

from accounts.views import auth, staff

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
]
