"""API of communications: the support directory (public and staff) and enquiries."""

from rest_framework.routers import SimpleRouter

from communications.api.enquiries import EnquiryViewSet, PublicSupportServiceViewSet, SupportDirectoryViewSet

router = SimpleRouter()
router.register("support-services", PublicSupportServiceViewSet, basename="support-service")
router.register("support-directory", SupportDirectoryViewSet, basename="support-directory")
router.register("enquiries", EnquiryViewSet, basename="enquiry")

urlpatterns = router.urls
