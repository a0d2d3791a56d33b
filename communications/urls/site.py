"""Pages of communications: the public site (the home page and provider pages are routed in the root URLs)."""

from django.urls import path

from communications.views import site

urlpatterns = [
    path("notices/", site.notice_list, name="notice-list"),
    path("notices/<int:pk>/", site.notice_detail, name="notice-detail"),
    path("notices/feed.atom", site.notice_feed, name="feed"),
    path("open-data/notices.json", site.open_data_json, name="open-data-json"),
    path("open-data/notices.csv", site.open_data_csv, name="open-data-csv"),
    path("ping", site.ping, name="ping"),
]
