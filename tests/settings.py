"""Settings for the test suite: the project's settings with safe defaults for a test run.

Without DATABASE_URL the suite runs on SQLite in memory; CI runs it again on PostgreSQL and Redis.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "tests-only-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from failure_regime.settings import *  # noqa: E402, F403
from failure_regime.settings import CACHES, CELERY_BROKER_URL, REDIS_URL, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A Celery process started by an integration test reads the uploads the test wrote to this folder.
if os.environ.get("TEST_MEDIA_ROOT"):
    MEDIA_ROOT = Path(os.environ["TEST_MEDIA_ROOT"])
    STORAGES["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES["default"]["KEY_PREFIX"] = "tests"
    # Tests empty the cache before each test (a Redis FLUSHDB), so parallel workers each get a database of their own.
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if _worker.startswith("gw"):
        _url = urlsplit(REDIS_URL)
        _db = (int(_url.path.strip("/") or 0) + 1 + int(_worker[2:])) % 16
        CACHES["default"]["LOCATION"] = urlunsplit(_url._replace(path=f"/{_db}"))
# Each parallel test process sends Celery messages through a Redis database of its own, after the caches' (one per
# process, just after the broker's), and so do the workers its tests start: a worker started on one process's test
# database never takes another process's message. Celery reads CELERY_BROKER_URL from the environment before its
# settings, so the process's own broker goes there too; the workers inherit it, with the broker it was worked out
# from, so they arrive at the same one.
if CELERY_BROKER_URL.startswith("redis://") and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    _shared_broker = os.environ.setdefault("TESTS_SHARED_BROKER_URL", CELERY_BROKER_URL)
    _broker = urlsplit(_shared_broker)
    _processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    _index = int(os.environ["PYTEST_XDIST_WORKER"][2:])
    _broker_db = (int(_broker.path.strip("/") or 0) + 1 + _processes + _index) % 16
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"] = urlunsplit(_broker._replace(path=f"/{_broker_db}"))
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
WHITENOISE_AUTOREFRESH = True
