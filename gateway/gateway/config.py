import ipaddress
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from gateway import keys
from opsdesk_shared.settings import ServiceSettings

# Unset OPSDESK_TRUSTED_PROXIES outside production: a reverse proxy on the same machine (make run behind a
# local nginx) may say who its client is. In production nothing is trusted unless configured.
LOOPBACK_PROXIES = ["127.0.0.1", "::1"]


class GatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "gateway"

    gateway_port: int = 8000
    jwt_private_key_file: Path = Path("var/keys/jwt_private.pem")
    # One key per purpose, none derived from another, all the gateway's alone (gateway/keys.py).
    web_session_key_file: Path = Path("var/keys/web_session.key")
    totp_key_file: Path = Path("var/keys/totp.key")
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_s: int = Field(default=8 * 3600, ge=600)
    # A session ends this long after its sign-in however often its tokens are refreshed (idle or not): then
    # only a fresh sign-in (password, and the second factor where required) goes on.
    session_lifetime_s: int = Field(default=12 * 3600, ge=600, le=7 * 86400)
    admin_username: str = "admin"
    admin_password: SecretStr | None = None

    # Where each service's API listens (SPEC §7 prefixes are routed to these).
    intake_url: str = "http://127.0.0.1:8101"
    dispatch_url: str = "http://127.0.0.1:8102"
    notifications_url: str = "http://127.0.0.1:8103"
    reporting_url: str = "http://127.0.0.1:8104"
    assets_url: str = "http://127.0.0.1:8105"

    max_body_bytes: int = 12 * 1024 * 1024  # attachments are ≤ 10 MiB each
    rate_limit: str = "300/second"  # per caller (verified user or API key, else the client's address)
    login_rate_limit: str = "30/minute"  # per client address, on top of the per-account lockout
    # The addresses or networks (CIDR) of the reverse proxies in front of the gateway (the ingress
    # controller's pods): only a connection from one of them may name the client in X-Forwarded-For.
    # Comma-separated; empty trusts nobody; unset, see LOOPBACK_PROXIES.
    trusted_proxies: Annotated[list[str] | None, NoDecode] = None
    # Rate-limit counters live in Redis, so every gateway replica counts against the same limits.
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = "opsdesk"  # tests use one per run, so parallel runs never share counters
    # Writes refused to callers nobody verified are audited as one entry per client address per window.
    unauthenticated_audit_window_s: float = Field(default=60.0, gt=0, le=3600)
    # `/api/health` is public: it asks the services at most once per this many seconds.
    health_cache_s: float = Field(default=2.0, ge=0, le=60)
    # MLPS level 3 account rules: a password older than this must be changed at the next sign-in, and an
    # account nobody has signed in to for this long is disabled (0 turns either rule off).
    password_max_age_days: int = Field(default=90, ge=0)
    dormant_after_days: int = Field(default=90, ge=0)
    # Roles that must sign in with a second factor (TOTP). Unset: the four MLPS level 3 expects in
    # production, none in development and tests (demo accounts sign in with a password alone).
    totp_required_roles: list[str] | None = None
    lockout_failures: int = 5
    lockout_window_s: int = 15 * 60
    upstream_timeout_s: float = 30.0
    # Audit entries are kept this long, then archived to files and purged (SPEC §2: at least 180 days; the
    # database refuses to delete younger ones whatever this says).
    audit_retention_days: int = Field(default=180, ge=180)
    audit_archive_dir: Path = Path("var/audit-archive")
    audit_purge_interval_s: float = Field(default=24 * 3600, ge=60)
    # The key the audit chain, its purges and its checkpoints are signed with (gateway/audit_chain.py): mounted
    # into the gateway only, never in the database. Checkpoints of the chain's head go to the archive directory
    # this often (what was written since the last one is verified first).
    audit_key_file: Path = Path("var/keys/audit.key")
    audit_checkpoint_interval_s: float = Field(default=60, ge=1)
    # The web UI signs a user out after this long without them doing anything (MLPS level 3: 15 minutes).
    web_idle_timeout_s: int = Field(default=15 * 60, ge=60, le=8 * 3600)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _addresses_or_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for entry in value if isinstance(value, list) else []:
            try:
                # Refused rather than passed on: uvicorn would take a typo for a host name nobody connects
                # from, and "*" would let anyone pick the address they are limited and audited under.
                ipaddress.ip_network(str(entry), strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or network (CIDR)") from exc
        return value

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> "GatewaySettings":
        if self.environment == "production" and self.admin_password is not None:
            if len(self.admin_password.get_secret_value()) < 12:
                raise ValueError("OPSDESK_ADMIN_PASSWORD must be at least 12 characters in production")
        return self

    def totp_roles(self) -> frozenset[str]:
        if self.totp_required_roles is not None:
            return frozenset(self.totp_required_roles)
        if self.environment == "production":
            # The project manager reads what a supervisor reads, so signs in as strongly.
            return frozenset({"admin", "security_admin", "auditor", "supervisor", "project_manager"})
        return frozenset()

    def proxy_networks(self) -> list[str]:
        """Whose X-Forwarded-For is believed (uvicorn's ProxyHeadersMiddleware `trusted_hosts`)."""
        if self.trusted_proxies is not None:
            return list(self.trusted_proxies)
        return [] if self.environment == "production" else list(LOOPBACK_PROXIES)

    def jwt_private_key(self) -> str:
        try:
            return self.jwt_private_key_file.read_text()
        except FileNotFoundError as exc:
            raise RuntimeError(
                f"JWT private key not found at {self.jwt_private_key_file}; set OPSDESK_JWT_PRIVATE_KEY_FILE"
            ) from exc

    def web_session_key(self) -> bytes:
        return keys.read_session_key(self.web_session_key_file)

    def totp_keys(self) -> list[bytes]:
        return keys.read_totp_keys(self.totp_key_file)

    def upstreams(self) -> list[tuple[str, str]]:
        """(path prefix, service base URL), longest prefix first."""
        return [
            ("/api/tickets", self.intake_url),
            ("/api/calls", self.intake_url),
            ("/api/canned-replies", self.intake_url),
            ("/api/knowledge", self.intake_url),
            ("/api/callers", self.intake_url),
            ("/api/cti", self.intake_url),
            ("/api/work-orders", self.dispatch_url),
            ("/api/engineers", self.dispatch_url),
            ("/api/dispatch", self.dispatch_url),
            ("/api/sla", self.dispatch_url),
            ("/api/sms", self.notifications_url),
            ("/api/reports", self.reporting_url),
            ("/api/assets", self.assets_url),
            ("/api/inspections", self.assets_url),
            ("/api/monitoring", self.assets_url),
            ("/api/spares", self.assets_url),
            ("/api/training", self.assets_url),
            ("/api/visits", self.assets_url),
            ("/api/measures", self.assets_url),
        ]

    def services(self) -> dict[str, str]:
        return {
            "intake": self.intake_url,
            "dispatch": self.dispatch_url,
            "notifications": self.notifications_url,
            "reporting": self.reporting_url,
            "assets": self.assets_url,
        }
