"""Service settings: the only place the service reads environment variables.

One class per concern (storage, upload limits, jobs, HTTP), in the manner of titiler's
``application/settings.py``. Every class reads ``PANHUO_*`` variables; explicit keyword
arguments win, so tests build :class:`Settings` by hand and pass it to
:func:`api.app.create_app`. The core (``geo``, ``optimizer``, ``maps``) never sees these: the job
worker hands it plain keyword arguments.

Variables (all optional):

=================================  ===========================================================
``PANHUO_DATA_DIR``                embedded store, uploads and job outputs (default ``./panhuo-data``)
``PANHUO_DATABASE_URL``            ``postgresql://user:pw@host:port/db`` selects PostgreSQL/PostGIS
``PANHUO_DB_RETRY_S``              retry a lost PostgreSQL connection this long, then ``503`` (default 30)
``PANHUO_MAX_UPLOAD_MB``           largest upload body (default 512)
``PANHUO_INGEST_TIME_LIMIT_S``     time to check one upload (default 120)
``PANHUO_METADATA_TIME_LIMIT_S``   time to open and count one GeoPackage layer (default 5)
``PANHUO_INGEST_SLOTS``            upload checks at once (default 4); ``…_PER_WORKSPACE`` 2, ``…_PER_TOKEN`` 1
``PANHUO_INGEST_WAIT_S``           wait for a free upload-check slot before ``429`` (default 10)
``PANHUO_JOB_TIME_LIMIT_S``        wall-clock limit of one job (default 3600)
``PANHUO_JOB_MEMORY_MB``           address-space cap of one worker process (default 4096)
``PANHUO_JOB_WORKERS``             jobs running at once (default 2)
``PANHUO_JOB_QUEUE``               jobs waiting at most; beyond, ``429`` (default 8)
``PANHUO_JOB_QUEUE_PER_USER``      jobs one token may have waiting (default 4)
``PANHUO_CORS_ORIGINS``            JSON list of allowed origins; empty = CORS off (default)
``PANHUO_EXPENSIVE_PER_MINUTE``    uploads/analyses/runs one token may start per minute (default 30)
=================================  ===========================================================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseSettings):
    """Where metadata, uploads and results live."""

    model_config = SettingsConfigDict(env_prefix="PANHUO_", extra="ignore")

    data_dir: Path = Field(Path("panhuo-data"), description="embedded store root (`--data-dir`)")
    database_url: str | None = Field(
        None, description="`postgresql://...` selects PostgreSQL/PostGIS; unset = SQLite under data_dir"
    )

    db_retry_s: float = Field(
        30, ge=0, description="how long a request retries a lost PostgreSQL connection before 503"
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # workers run in their job directory: every path handed to them must be absolute
        return value.expanduser().resolve()

    def sqlalchemy_url(self) -> str:
        """Return the SQLAlchemy URL: PostgreSQL through psycopg 3, else SQLite in ``data_dir/panhuo.db``."""
        if self.database_url:
            url = self.database_url
            for prefix in ("postgresql://", "postgres://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return f"sqlite:///{(self.data_dir / 'panhuo.db').resolve()}"

    @property
    def is_postgres(self) -> bool:
        """Whether the metadata store is PostgreSQL (and result layers go to PostGIS too)."""
        return self.sqlalchemy_url().startswith("postgresql")


class UploadLimits(BaseSettings):
    """Caps that make hostile uploads harmless (hardening.md §A, §B5)."""

    model_config = SettingsConfigDict(env_prefix="PANHUO_", extra="ignore")

    max_upload_mb: int = Field(512, ge=1, description="largest upload request body, MiB")
    max_body_kb: int = Field(1024, ge=1, description="largest non-upload request body, KiB")
    zip_max_entries: int = Field(64, ge=1, description="entries in an uploaded zip")
    zip_max_expanded_mb: int = Field(2048, ge=1, description="total uncompressed size of a zip, MiB")
    zip_max_ratio: int = Field(200, ge=1, description="largest compression ratio of one zip entry")
    max_layers: int = Field(64, ge=1, description="layers in one GeoPackage")
    max_vertices_per_feature: int = Field(250_000, ge=4, description="vertices of one feature of a layer")
    max_vertices_per_layer: int = Field(50_000_000, ge=4, description="vertices of all features of a layer")
    raster_max_side: int = Field(50_000, ge=1, description="raster width or height, pixels")
    raster_max_pixels: int = Field(1_000_000_000, ge=1, description="raster width × height")
    raster_max_bands: int = Field(32, ge=1, description="raster band count")
    raster_max_block: int = Field(8192, ge=1, description="raster tile/block side, pixels")
    ingest_time_limit_s: float = Field(120, gt=0, description="time to validate one upload")
    metadata_time_limit_s: float = Field(
        5, gt=0, description="time to open and count one GeoPackage layer (a recursive SQL view never ends)"
    )
    ingest_slots: int = Field(4, ge=1, description="upload checks running at once")
    ingest_slots_per_workspace: int = Field(
        2, ge=1, description="upload checks one workspace may run at once"
    )
    ingest_slots_per_token: int = Field(1, ge=1, description="upload checks one token may run at once")
    ingest_wait_s: float = Field(
        10, ge=0, description="how long an upload waits for a free check slot before 429"
    )

    @property
    def max_upload_bytes(self) -> int:
        """Upload cap in bytes."""
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_body_bytes(self) -> int:
        """Cap of any other request body in bytes."""
        return self.max_body_kb * 1024


class JobSettings(BaseSettings):
    """Worker processes: how many, how long, how much memory, how many may wait."""

    model_config = SettingsConfigDict(env_prefix="PANHUO_JOB_", extra="ignore")

    workers: int = Field(2, ge=1, description="jobs running at once")
    queue: int = Field(8, ge=0, description="jobs waiting at most; a full queue answers 429")
    queue_per_user: int = Field(4, ge=1, description="jobs one token may have waiting at once")
    time_limit_s: float = Field(3600, gt=0, description="wall-clock limit of one job")
    memory_mb: int = Field(4096, ge=64, description="address-space cap (RLIMIT_AS) of a worker")
    retry_after_s: int = Field(30, ge=1, description="Retry-After of a 429")
    poll_s: float = Field(0.2, gt=0, description="how often the runner looks at a running worker")


class HttpSettings(BaseSettings):
    """CORS and other HTTP conventions."""

    model_config = SettingsConfigDict(env_prefix="PANHUO_", extra="ignore")

    cors_origins: list[str] = Field(default_factory=list, description="allowed origins; empty = off")
    expensive_per_minute: int = Field(
        30, ge=1, description="uploads, analyses, runs and inspections one token may start per minute"
    )
    hsts: bool = Field(True, description="send Strict-Transport-Security")


class Settings(BaseModel):
    """Everything :func:`api.app.create_app` needs, one sub-model per concern."""

    model_config = ConfigDict(frozen=True)

    # pydantic-settings fills every field from the environment or its default; mypy without the
    # pydantic plugin cannot see that
    store: StoreSettings = Field(default_factory=lambda: StoreSettings())  # type: ignore[call-arg]
    uploads: UploadLimits = Field(default_factory=lambda: UploadLimits())  # type: ignore[call-arg]
    jobs: JobSettings = Field(default_factory=lambda: JobSettings())  # type: ignore[call-arg]
    http: HttpSettings = Field(default_factory=lambda: HttpSettings())  # type: ignore[call-arg]

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> Settings:
        """Read every concern from the environment; ``data_dir`` (the CLI flag) wins over it."""
        store = StoreSettings() if data_dir is None else StoreSettings(data_dir=data_dir)  # type: ignore[call-arg]
        return cls(store=store)
