"""Typed settings: infrastructure only, never law (design.md "Settings and law").

Every variable carries the prefix GONGKAI_, e.g. GONGKAI_DATABASE_URL.
"""

from __future__ import annotations

import base64
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.secrets import secret_file


class Settings(BaseSettings):
    """The engine's settings, validated at start-up."""

    model_config = SettingsConfigDict(env_prefix="GONGKAI_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Database, files and portal live here."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite at <data_dir>/gongkai.db."
    )
    policy_profile: str = Field(default="national", description="Name of the policy profile.")
    prefect_api_url: str = Field(default="http://127.0.0.1:4200/api")
    review_deployment: str = Field(
        default="document-review/default", description="Prefect deployment of the review flow."
    )
    material_review_deployment: str = Field(
        default="material-review/default",
        description="Prefect deployment of the secrecy review of material sent after intake.",
    )
    application_deployment: str = Field(
        default="application/default",
        description="Prefect deployment handling an application for information (依申请公开).",
    )
    application_rate_per_address: int = Field(
        default=10, gt=0, description="Online applications per client address per hour."
    )
    application_rate_per_applicant: int = Field(
        default=5, gt=0, description="Online applications per applicant (ID number) per hour."
    )
    api_base_url: str = Field(default="http://127.0.0.1:8000")
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0, le=2 * 1024 * 1024 * 1024)
    max_attachments: int = Field(default=20, gt=0, le=200)
    max_request_bytes: int = Field(
        default=120 * 1024 * 1024,
        gt=0,
        description="Whole upload request (main file, attachments, fields); each file is also "
        "limited by max_upload_bytes.",
    )
    review_start_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Bound on one attempt to start a review flow."
    )
    review_start_retry_seconds: float = Field(
        default=30.0,
        ge=0,
        le=600,
        description="How long a review start that Prefect refused with a 503 or let time out is "
        "retried (jittered backoff) before the document is left to the sweep; 0 = no retry.",
    )
    runner_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often the serve process asks Prefect for runs to start (a decision's "
        "hand-off latency; each poll is one small query).",
    )
    flow_heartbeat_seconds: int | None = Field(
        default=None,
        ge=30,
        description="Interval of Prefect's flow-run heartbeats in our flow-run processes; unset "
        "= off (each synchronous run then ends about 1 s sooner).",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Serve processes `make run` starts for the same deployments (issue 24).",
    )
    worker_limit: int = Field(
        default=4, ge=1, le=64, description="Flow-run processes one worker runs at once."
    )
    review_sweep_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Interval of the reconciler that starts reviews Prefect missed; 0 = off.",
    )
    staging_sweep_seconds: float = Field(
        default=600.0,
        ge=0,
        description="Interval of the sweep of abandoned staged uploads (at start-up and then "
        "every this many seconds); 0 = at start-up only.",
    )
    staging_max_age_seconds: float = Field(
        default=3600.0,
        ge=60,
        description="A staged upload (.part) older than this is abandoned and swept (no request "
        "takes this long to receive).",
    )
    alert_webhook_url: str | None = Field(
        default=None,
        description="Where alerts are POSTed as JSON; unset = log + database only.",
    )
    alert_webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    prefect_ui_url: str | None = Field(
        default=None,
        description="Prefect UI base for flow-run links (office dashboard); unset = the API URL "
        "without its /api suffix.",
    )
    reading_max_decompressed_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        le=1024 * 1024 * 1024,
        description="Reading a DOCX or OFD: the most its parts may expand to (zip bombs).",
    )
    reading_max_pages: int = Field(default=500, gt=0, le=100_000, description="Pages read.")
    reading_max_chars: int = Field(
        default=2_000_000, gt=0, le=100_000_000, description="Characters kept of one file."
    )
    reading_max_ocr_pages: int = Field(
        default=20, ge=0, le=1000, description="Image-only PDF pages OCR'd per file."
    )
    reading_max_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="Wall and CPU time of reading one file."
    )
    reading_max_memory_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=256 * 1024 * 1024,
        le=64 * 1024 * 1024 * 1024,
        description="Address space of the process reading one file (RLIMIT_AS).",
    )
    stuck_near_share: float = Field(
        default=0.8,
        gt=0,
        lt=1,
        description="Share of a stage allowance after which the office monitor lists a document "
        "as near (0.8 = 80 %).",
    )
    calendar_warn_from: str = Field(
        default="11-01",
        pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        description="From this day of the year (MM-DD), the office digest, the dashboard and "
        "`make run` warn while next year's working-day calendar is not loaded (the State "
        "Council publishes it around November).",
    )
    office_refresh_seconds: int = Field(
        default=30, ge=5, le=3600, description="How often the office dashboard refreshes itself."
    )
    alert_shares: tuple[float, ...] = Field(
        default=(0.5,),
        description="Shares of a publication/interpretation window at which an alert is raised "
        "(JSON list, e.g. [0.5, 0.8]); overdue (the whole window) is always alerted.",
    )

    publisher: Literal["portal", "webhook"] = Field(
        default="portal",
        description="Where publications go: the built-in portal (/portal) or a CMS webhook.",
    )
    publisher_webhook_url: str | None = Field(
        default=None, description="The CMS URL publications are POSTed to (publisher=webhook)."
    )
    totp_key: SecretStr | None = Field(
        default=None,
        description="Fernet key that encrypts the reviewers' one-time-code secrets; unset = the "
        "key file <data_dir>/totp.key, made with mode 0600 on first use.",
    )
    publisher_webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    publisher_webhook_retries: int = Field(default=3, ge=0, le=10)

    @field_validator("policy_profile")
    @classmethod
    def _profile_is_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("GONGKAI_POLICY_PROFILE must name a profile, e.g. 'national'")
        return value.strip()

    @field_validator("alert_shares")
    @classmethod
    def _shares_are_fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < share <= 1 for share in value):
            raise ValueError("GONGKAI_ALERT_SHARES: each share must lie in (0, 1], e.g. [0.5]")
        return value

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if self.max_request_bytes < self.max_upload_bytes:
            raise ValueError("GONGKAI_MAX_REQUEST_BYTES must be at least GONGKAI_MAX_UPLOAD_BYTES")
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'gongkai.db').as_posix()}"
        return self

    @model_validator(mode="after")
    def _publisher_has_its_url(self) -> Settings:
        if self.publisher == "webhook" and not self.publisher_webhook_url:
            raise ValueError("GONGKAI_PUBLISHER=webhook needs GONGKAI_PUBLISHER_WEBHOOK_URL")
        return self

    @property
    def prefect_ui_base(self) -> str:
        """The Prefect UI that links point to: prefect_ui_url, or the API URL without /api."""
        if self.prefect_ui_url:
            return self.prefect_ui_url.rstrip("/")
        return self.prefect_api_url.rstrip("/").removesuffix("/api")

    @property
    def totp_key_file(self) -> Path:
        """Where the one-time-code key is kept when GONGKAI_TOTP_KEY is unset."""
        return self.data_dir / "totp.key"

    def one_time_code_key(self) -> bytes:
        """The key of the one-time-code secrets: GONGKAI_TOTP_KEY, else the key file (made on
        first use, mode 0600)."""
        if self.totp_key is not None:
            return self.totp_key.get_secret_value().encode("ascii")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return secret_file(self.totp_key_file, _fernet_key).encode("ascii")

    @property
    def prefect_auth_file(self) -> Path:
        """Where `make run` keeps the Prefect server's credential (user:password, mode 0600)."""
        return self.data_dir / "prefect-auth"

    def prefect_auth_string(self) -> str:
        """The Prefect server's basic-auth credential for the embedded default: made on first
        run and kept in prefect_auth_file."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return secret_file(self.prefect_auth_file, _prefect_credential)

    @property
    def files_dir(self) -> Path:
        """Where uploaded files are stored, content-addressed by sha256."""
        return self.data_dir / "files"


def _fernet_key() -> str:
    # Fernet's key format: 32 random bytes, URL-safe base64 (cryptography's Fernet.generate_key).
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _prefect_credential() -> str:
    return f"gongkai:{secrets.token_urlsafe(24)}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
