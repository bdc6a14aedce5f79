# chatops-bot: `chatops serve` in a slim image, as a non-root user (see compose.yaml for a fleet).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

WORKDIR /app
# The same install as `make`, without the dev tools: the project and its pinned dependencies.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY integrations ./integrations
COPY simulators ./simulators
RUN pip install --no-cache-dir . && useradd --create-home --uid 10001 chatops

USER chatops
EXPOSE 3000
# Healthy once start-up is complete (migrations, Slack identity, durable runs): /healthz says so.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=4)"
CMD ["chatops", "serve"]
