# briefing: the service image. Build: docker build -t briefing .  Run: see docker-compose.yml.
#
# Stage 1 builds wheels for briefing and every dependency and installs them into a venv;
# stage 2 is a clean slim image with only that venv, run as an unprivileged user. Compilers
# and pip caches never reach the final image.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY crawler ./crawler
COPY storage ./storage
COPY scheduler ./scheduler
RUN pip wheel --wheel-dir /wheels . \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /wheels briefing

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LANG=C.UTF-8 \
    BRIEFING_HOST=0.0.0.0 \
    BRIEFING_PORT=8080 \
    BRIEFING_DATA_DIR=/data \
    BRIEFING_DATABASE_URL=sqlite:////data/briefing.db
RUN useradd --system --uid 10001 --create-home --home-dir /app --shell /usr/sbin/nologin briefing \
    && mkdir /data && chown briefing:briefing /data
COPY --from=build /opt/venv /opt/venv
COPY profiles /app/profiles
WORKDIR /app
USER briefing
# The database (without a PostgreSQL URL) and the run logs: keep /data on a volume.
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers 503 while the database is unreachable or the schedule has stopped.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# Listening on 0.0.0.0 needs BRIEFING_API_TOKEN (the service refuses to start without it).
CMD ["briefing", "run"]
