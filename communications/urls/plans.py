"""Pages of communications: communications plans, for staff."""

from django.urls import path

from communications.views import plans

CASE = "staff/communications/cases/<int:case_pk>/plan/"

urlpatterns = [
    path("staff/communications/cases/", plans.case_list, name="case-list"),
    path(CASE, plans.plan, name="plan"),
    path(f"{CASE}items/", plans.plan_item_add, name="plan-item-add"),
    path(f"{CASE}items/<int:item_pk>/done/", plans.plan_item_done, name="plan-item-done"),
    path(f"{CASE}items/<int:item_pk>/remove/", plans.plan_item_remove, name="plan-item-remove"),
]
