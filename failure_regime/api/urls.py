from rest_framework.routers import SimpleRouter

from failure_regime.api.inspections import InspectionViewSet, RecommendationViewSet
from failure_regime.api.interventions import InterventionViewSet
from failure_regime.api.notifications import NotificationViewSet
from failure_regime.api.special_measures import EpisodeViewSet, MonthlyReportViewSet
from failure_regime.api.viewsets import CaseViewSet, ConcernViewSet, DeadlineViewSet, EnforcementViewSet

router = SimpleRouter()
router.register("concerns", ConcernViewSet, basename="concern")
router.register("cases", CaseViewSet, basename="case")
router.register("enforcement-actions", EnforcementViewSet, basename="enforcement-action")
router.register("deadlines", DeadlineViewSet, basename="deadline")
router.register("episodes", EpisodeViewSet, basename="episode")
router.register("monthly-reports", MonthlyReportViewSet, basename="monthly-report")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("recommendations", RecommendationViewSet, basename="recommendation")
router.register("interventions", InterventionViewSet, basename="intervention")

urlpatterns = router.urls
