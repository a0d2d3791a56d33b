"""Pages of communications: the public site (the home page and provider pages are routed in the root URLs; the
list of providers is here, at ``providers/``, which the provider pages' pattern never matches)."""

from django.urls import path

from communications.views import providers, register, search, site

urlpatterns = [
    path("notices/", site.notice_list, name="notice-list"),
    path("notices/<int:pk>/", site.notice_detail, name="notice-detail"),
    path("notices/feed.atom", site.notice_feed, name="feed"),
    path("open-data/notices.json", site.open_data_json, name="open-data-json"),
    path("open-data/notices.csv", site.open_data_csv, name="open-data-csv"),
    path("ping", site.ping, name="ping"),
    path("search/", search.search, name="search"),
    path("providers/", providers.provider_list, name="provider-list"),
    path("special-measures/", register.register, name="special-measures"),
    path("special-measures/register.json", register.register_json, name="special-measures-json"),
    path("special-measures/register.csv", register.register_csv, name="special-measures-csv"),
    path("special-measures/feed.atom", register.register_feed, name="special-measures-feed"),
]
