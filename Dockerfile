# s11 in one container: gunicorn with uvicorn workers, migrations before start.
# Run it against PostgreSQL (see README): S11_DATABASE_URL, S11_SECRET_KEY, S11_BASE_URL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    S11_ENV=production \
    S11_VAR_DIR=/var/lib/s11 \
    WEB_CONCURRENCY=2

RUN useradd --system --create-home --home-dir /home/s11 --shell /usr/sbin/nologin s11 \
    && mkdir -p /var/lib/s11 && chown s11:s11 /var/lib/s11

WORKDIR /srv/s11
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY questionnaires ./questionnaires
COPY templates ./templates
COPY static ./static
RUN pip install -e .

USER s11
EXPOSE 8000
VOLUME ["/var/lib/s11"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# No access log: paths carry sign-in tokens; s11 logs one JSON line per request instead.
# Metrics from every worker are added up through PROMETHEUS_MULTIPROC_DIR, emptied at start.
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/s11-metrics
# Email goes out through `s11 worker`: run it from this same image, as many as needed, on
# any hosts (docker run ... s11 s11 worker); each stops cleanly on SIGTERM.
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && s11 migrate && exec gunicorn 'app.main:create_app()' --worker-class uvicorn.workers.UvicornWorker --bind 0.0.0.0:8000 --forwarded-allow-ips='*'"]
