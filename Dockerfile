# One image for every role of hybrid-orders; the container's command picks the role:
#   orders-api | orders-worker | orders-inventory | orders-payment | orders-shipping
#   orders-notification | orders-loyalty | orders-analytics | orders-codec-server | orders
# The runtime only, pinned with hashes (requirements/runtime.txt): no dev server, SMTP sink,
# plotting library or test tool, and none of the tools/ of a checkout.
# Build: docker build -t hybrid-orders .   (docker-compose.yml builds it as hybrid-orders:latest)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: the project and its runtime dependencies in a venv (no dev tools) ---------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --upgrade pip && pip install --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY orders ./orders
COPY workflows ./workflows
COPY activities ./activities
COPY servicekit ./servicekit
COPY services ./services
COPY workers ./workers
COPY api ./api
COPY cli ./cli
# A regular (non-editable) install: the runtime stage needs /opt/venv only, not /src. Its
# dependencies are all in place already, from the lockfile.
RUN pip install --no-deps .

# --- runtime: slim, the venv, a non-root user ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 orders \
 && useradd --system --uid 10001 --gid orders --home-dir /app --shell /usr/sbin/nologin orders \
 && mkdir -p /app/.data \
 && chown -R orders:orders /app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
# API; participant services; consumers (health, metrics, read API); the codec server.
EXPOSE 8000 8101 8102 8103 8201 8202 8203 8089
# Health checks run `python -c` with urllib (see docker-compose.yml): the image has no curl.
CMD ["orders-api"]
