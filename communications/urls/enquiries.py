"""Pages of communications: public enquiries (/contact-us/) and the staff triage queue (/staff/enquiries/)."""

from django.urls import path

from communications.views import enquiries

urlpatterns = [
    path("contact-us/", enquiries.enquiry_new, name="enquiry-new"),
    path("contact-us/sent/<str:token>/", enquiries.enquiry_sent, name="enquiry-sent"),
    path("contact-us/providers/", enquiries.provider_suggestions, name="enquiry-providers"),
    path("staff/enquiries/<int:pk>/review-request/", enquiries.enquiry_pass_to_review, name="enquiry-pass-to-review"),
    path("staff/enquiries/<int:pk>/concern/", enquiries.enquiry_raise_concern, name="enquiry-raise-concern"),
    path("staff/enquiries/", enquiries.enquiry_queue, name="enquiry-queue"),
    path("staff/enquiries/<int:pk>/", enquiries.enquiry_detail, name="enquiry-detail"),
    path("staff/enquiries/<int:pk>/triage/", enquiries.enquiry_triage, name="enquiry-triage"),
    path("staff/enquiries/<int:pk>/notes/", enquiries.enquiry_note, name="enquiry-note"),
    path("staff/enquiries/<int:pk>/respond/", enquiries.enquiry_respond, name="enquiry-respond"),
    path("staff/enquiries/<int:pk>/close/", enquiries.enquiry_close, name="enquiry-close"),
    path("staff/enquiries/<int:pk>/referrals/", enquiries.referral_offer, name="enquiry-referral-offer"),
    path(
        "staff/enquiries/<int:pk>/referrals/<int:referral_pk>/decision/",
        enquiries.referral_decide,
        name="enquiry-referral-decide",
    ),
]
