"""Which communications objects each user's lists show, registered for the audit event feed and webhooks.

Enquiries hold members of the public's personal data: their events (and those of their notes and referrals,
which have the enquiry as their scope) are shown only to the staff whose enquiry lists show them."""

from __future__ import annotations

from accounts.visibility import register_visible
from communications.selectors import enquiries, notices, support


def register() -> None:
    """Called from the app's ``ready``."""
    register_visible("communications.Notice", lambda user: notices.notice_list_for_user(user=user))
    register_visible("communications.SupportService", lambda user: support.support_service_list_for_user(user=user))
    register_visible("communications.Enquiry", lambda user: enquiries.enquiry_list_for_user(user=user), personal=True)
