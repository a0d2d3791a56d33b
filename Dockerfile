# Production image: gunicorn serves the site (static files through WhiteNoise); the same image runs
# the Celery worker and beat with a different command (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/var/lib/sfr \
    MEDIA_ROOT=/var/lib/sfr/media \
    STATIC_ROOT=/app/staticfiles

RUN groupadd --system --gid 10001 sfr \
    && useradd --system --uid 10001 --gid sfr --home-dir /app --no-create-home --shell /usr/sbin/nologin sfr

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. The project installs no
# packages of its own ([tool.setuptools] packages = []): the code runs from /app.
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Static files are collected once, at build time, with throwaway settings.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-used-at-run-time \
        python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /var/lib/sfr/media /var/lib/beat \
    && chown -R sfr:sfr /var/lib/sfr /var/lib/beat

USER sfr
EXPOSE 8000

CMD ["gunicorn", "failure_regime.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
