# The gateway, worker and beat image: docker-compose.yml runs all of them from it (README, "Deploying and scaling out").
# Two stages. `build` installs the locked dependencies (requirements/runtime.txt: every version and hash pinned, all
# of them wheels, so no compiler is needed) and the package into a virtualenv; the runtime copies that virtualenv onto
# the same slim base, with no compiler, no pip and no source tree, and runs as a user that is not root (uid 10001).
# The steps are the ones `make install` runs and CI checks (.ci/check-package): install, compile the catalogues.
#
# The base is pinned by tag and by the digest of its multi-architecture index, so a rebuild starts from the same
# Python and Debian. To move it: `docker buildx imagetools inspect python:3.11.X-slim-bookworm` shows the new digest.
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

FROM base AS build
RUN python -m venv /opt/kheti
COPY requirements/runtime.txt /tmp/runtime.txt
# Exactly the lock's files (their hashes are checked), and only wheels: a dependency that needs compiling fails here.
RUN /opt/kheti/bin/pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: -r /tmp/runtime.txt
WORKDIR /src
COPY . .
# setuptools comes from the lock too (requirements/build.in), hence no build isolation: nothing unpinned is fetched.
RUN /opt/kheti/bin/pybabel compile --domain messages --directory locales --statistics \
 && /opt/kheti/bin/pip install --no-cache-dir --no-deps --no-build-isolation . \
 && /opt/kheti/bin/python -m pip uninstall --yes --quiet pip

FROM base AS runtime
ENV PATH=/opt/kheti/bin:$PATH \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    VAR_DIR=/var/lib/kheti

# espeak-ng synthesises the Hindi and Marathi call prompts Africa's Talking plays (it can only say English). Pinned to
# bookworm's version: when a Debian update replaces it, apt says so and the new one goes here (apt-cache policy
# espeak-ng). The base's own pip and setuptools go: nothing is installed at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng=1.51+dfsg-10+deb12u2 \
 && rm -rf /var/lib/apt/lists/* \
 && python -m pip uninstall --yes --quiet pip setuptools wheel \
 && groupadd --system --gid 10001 kheti \
 && useradd --system --uid 10001 --gid kheti --home-dir /var/lib/kheti --create-home kheti \
 && mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && chown kheti:kheti "$PROMETHEUS_MULTIPROC_DIR"

COPY --from=build /opt/kheti /opt/kheti

USER 10001:10001
WORKDIR /var/lib/kheti
# Built once here, not at every start: the SMS intent model, and the call audio from the reference data (loaded into
# a throwaway SQLite database), both in VAR_DIR.
RUN kheti nlu train \
 && export REF=sqlite:////tmp/reference.sqlite3 \
 && DATABASE_URL=$REF kheti db upgrade && DATABASE_URL=$REF kheti seed --no-demo \
 && DATABASE_URL=$REF kheti voice build-prompts && rm /tmp/reference.sqlite3

EXPOSE 5000
# No HEALTHCHECK here: the image runs the gateway, the workers, the beat and the migration, and each is checked its
# own way (docker-compose.yml): /healthz, a ping to its own Celery node, the age of the beat's schedule file.
CMD ["kheti", "serve", "--prod"]
