# The gateway, worker and beat image: `docker compose up` runs all three from it (see docker-compose.yml).
# Its steps are the ones `make install` runs and CI checks (.ci/check-package): install, compile catalogues.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    VAR_DIR=/var/lib/kheti

# espeak-ng synthesises the Hindi and Marathi call prompts Africa's Talking plays (it can only say English).
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN pip install "babel>=2.14,<3" \
 && pybabel compile --domain messages --directory locales --statistics \
 && pip install . \
 && useradd --system --home /var/lib/kheti --create-home kheti \
 && VAR_DIR=/var/lib/kheti kheti nlu train \
 && export REF=sqlite:////tmp/reference.sqlite3 \
 && DATABASE_URL=$REF kheti db upgrade && DATABASE_URL=$REF kheti seed --no-demo \
 && DATABASE_URL=$REF VAR_DIR=/var/lib/kheti kheti voice build-prompts && rm /tmp/reference.sqlite3 \
 && chown -R kheti /var/lib/kheti \
 && mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && chown kheti "$PROMETHEUS_MULTIPROC_DIR"

USER kheti
WORKDIR /var/lib/kheti
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=2)" || exit 1
CMD ["kheti", "serve", "--prod"]
