"""The audit verbs of communications: what happened, in the users' words.

Audit ``before``/``after`` of enquiries, notes and referrals carry statuses, categories and ids only, never
the personal data listed in ``communications.models.enquiries``.
"""

from enum import StrEnum


class CommunicationsVerb(StrEnum):
    PLAN_CREATED = "communications_plan.created"
    PLAN_CHANGED = "communications_plan.changed"
    PLAN_AUDIENCES_SET = "communications_plan.audiences_set"
    PLAN_ITEM_ADDED = "communications_plan.item_added"
    PLAN_ITEM_CHANGED = "communications_plan.item_changed"
    PLAN_ITEM_DONE = "communications_plan.item_done"
    PLAN_ITEM_REMOVED = "communications_plan.item_removed"

    NOTICE_DRAFTED = "notice.drafted"
    NOTICE_REVISED = "notice.revised"
    NOTICE_SUBMITTED = "notice.submitted"
    NOTICE_RETURNED = "notice.returned"
    NOTICE_APPROVAL_GIVEN = "notice.approval_given"
    NOTICE_APPROVED = "notice.approved"
    NOTICE_PUBLISHED = "notice.published"
    NOTICE_SCHEDULED = "notice.scheduled"
    NOTICE_UNSCHEDULED = "notice.unscheduled"
    NOTICE_FAMILIES_NOTIFIED = "notice.families_notified"
    NOTICE_CORRECTION_DRAFTED = "notice.correction_drafted"
    NOTICE_CORRECTED = "notice.corrected"
    NOTICE_VERSION_DISCARDED = "notice.version_discarded"
    NOTICE_WITHDRAWN = "notice.withdrawn"

    SUPPORT_SERVICE_ADDED = "support_service.added"
    SUPPORT_SERVICE_CHANGED = "support_service.changed"
    SUPPORT_SERVICE_DEACTIVATED = "support_service.deactivated"
    SUPPORT_SERVICE_REACTIVATED = "support_service.reactivated"
    SUPPORT_SERVICE_LINKED = "support_service.linked_to_case"
    SUPPORT_SERVICE_UNLINKED = "support_service.unlinked_from_case"

    ENQUIRY_RECEIVED = "enquiry.received"
    ENQUIRY_VIEWED = "enquiry.viewed"
    ENQUIRY_TRIAGED = "enquiry.triaged"
    ENQUIRY_ASSIGNED = "enquiry.assigned"
    ENQUIRY_UNASSIGNED = "enquiry.unassigned"
    ENQUIRY_LINKED_TO_CASE = "enquiry.linked_to_case"
    ENQUIRY_NOTE_ADDED = "enquiry.note_added"
    ENQUIRY_RESPONDED = "enquiry.responded"
    ENQUIRY_ESCALATED = "enquiry.escalated"
    ENQUIRY_CLOSED = "enquiry.closed"
    ENQUIRY_REOPENED = "enquiry.reopened"
    ENQUIRY_PASSED_TO_REVIEW = "enquiry.passed_to_review"
    ENQUIRY_RAISED_AS_CONCERN = "enquiry.raised_as_concern"
    PROVIDER_ALIAS_ADDED = "provider.alias_added"
    REFERRAL_OFFERED = "referral.offered"
    REFERRAL_ACCEPTED = "referral.accepted"
    REFERRAL_DECLINED = "referral.declined"


LABELS: dict[str, str] = {
    CommunicationsVerb.PLAN_CREATED: "Communications plan written",
    CommunicationsVerb.PLAN_CHANGED: "Communications plan changed",
    CommunicationsVerb.PLAN_AUDIENCES_SET: "Audiences of the communications plan changed",
    CommunicationsVerb.PLAN_ITEM_ADDED: "Communications item scheduled",
    CommunicationsVerb.PLAN_ITEM_CHANGED: "Communications item changed",
    CommunicationsVerb.PLAN_ITEM_DONE: "Communications item done",
    CommunicationsVerb.PLAN_ITEM_REMOVED: "Communications item removed",
    CommunicationsVerb.NOTICE_DRAFTED: "Notice drafted",
    CommunicationsVerb.NOTICE_REVISED: "Notice draft revised",
    CommunicationsVerb.NOTICE_SUBMITTED: "Notice sent for review",
    CommunicationsVerb.NOTICE_RETURNED: "Notice returned for changes",
    CommunicationsVerb.NOTICE_APPROVAL_GIVEN: "Notice approved by an organisation",
    CommunicationsVerb.NOTICE_APPROVED: "Notice fully approved",
    CommunicationsVerb.NOTICE_PUBLISHED: "Notice published",
    CommunicationsVerb.NOTICE_SCHEDULED: "Notice scheduled for publication",
    CommunicationsVerb.NOTICE_UNSCHEDULED: "Scheduled publication cancelled",
    CommunicationsVerb.NOTICE_FAMILIES_NOTIFIED: "Families told before publication",
    CommunicationsVerb.NOTICE_CORRECTION_DRAFTED: "Correction drafted",
    CommunicationsVerb.NOTICE_CORRECTED: "Correction published",
    CommunicationsVerb.NOTICE_VERSION_DISCARDED: "Notice draft discarded",
    CommunicationsVerb.NOTICE_WITHDRAWN: "Notice withdrawn",
    CommunicationsVerb.SUPPORT_SERVICE_ADDED: "Support service added",
    CommunicationsVerb.SUPPORT_SERVICE_CHANGED: "Support service changed",
    CommunicationsVerb.SUPPORT_SERVICE_DEACTIVATED: "Support service no longer offered",
    CommunicationsVerb.SUPPORT_SERVICE_REACTIVATED: "Support service offered again",
    CommunicationsVerb.SUPPORT_SERVICE_LINKED: "Support service linked to the case",
    CommunicationsVerb.SUPPORT_SERVICE_UNLINKED: "Support service unlinked from the case",
    CommunicationsVerb.ENQUIRY_RECEIVED: "Enquiry received",
    CommunicationsVerb.ENQUIRY_VIEWED: "Enquiry viewed",
    CommunicationsVerb.ENQUIRY_TRIAGED: "Enquiry triaged",
    CommunicationsVerb.ENQUIRY_ASSIGNED: "Enquiry assigned",
    CommunicationsVerb.ENQUIRY_UNASSIGNED: "Enquiry back in the team's queue: its officer's role was removed",
    CommunicationsVerb.ENQUIRY_LINKED_TO_CASE: "Enquiry linked to a case",
    CommunicationsVerb.ENQUIRY_NOTE_ADDED: "Note added to the enquiry",
    CommunicationsVerb.ENQUIRY_RESPONDED: "Enquiry answered",
    CommunicationsVerb.ENQUIRY_ESCALATED: "Enquiry escalated: response overdue",
    CommunicationsVerb.ENQUIRY_CLOSED: "Enquiry closed",
    CommunicationsVerb.ENQUIRY_REOPENED: "Enquiry reopened",
    CommunicationsVerb.ENQUIRY_PASSED_TO_REVIEW: "Request for a review of care passed to the case's review",
    CommunicationsVerb.ENQUIRY_RAISED_AS_CONCERN: "Raised as a concern about the provider",
    CommunicationsVerb.PROVIDER_ALIAS_ADDED: "Another name of a provider recorded",
    CommunicationsVerb.REFERRAL_OFFERED: "Support service offered",
    CommunicationsVerb.REFERRAL_ACCEPTED: "Support service accepted",
    CommunicationsVerb.REFERRAL_DECLINED: "Support service declined",
}
