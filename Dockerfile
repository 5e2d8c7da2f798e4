# The engine's image: API, review workers (workflows.serve) and the Prefect server all run from it,
# so prefect, fastapi, starlette, pydantic and sqlalchemy are exactly the set in requirements.lock
# (prefect 3.9.1 requires fastapi < 0.151 and certifi >= 2026.10.19: design.md "Versions").
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GONGKAI_DATA_DIR=/data

# Tesseract with its Simplified Chinese data reads scanned PDF pages (services/reading/ocr.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md alembic.ini ./
COPY policies ./policies
COPY models ./models
COPY services ./services
COPY workflows ./workflows
COPY api ./api
COPY config ./config
COPY cli ./cli
COPY migrations ./migrations
# Editable: models/migrate.py finds alembic.ini and migrations/ beside the packages in /app.
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /app gongkai \
    && mkdir -p /data \
    && chown gongkai /data

USER gongkai
VOLUME ["/data"]
