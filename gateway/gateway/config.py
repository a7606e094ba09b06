from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator

from opsdesk_shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "gateway"

    gateway_port: int = 8000
    jwt_private_key_file: Path = Path("var/keys/jwt_private.pem")
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_s: int = Field(default=8 * 3600, ge=600)
    admin_username: str = "admin"
    admin_password: SecretStr | None = None

    # Where each service's API listens (SPEC §7 prefixes are routed to these).
    intake_url: str = "http://127.0.0.1:8101"
    dispatch_url: str = "http://127.0.0.1:8102"
    notifications_url: str = "http://127.0.0.1:8103"
    reporting_url: str = "http://127.0.0.1:8104"

    max_body_bytes: int = 12 * 1024 * 1024  # attachments are ≤ 10 MiB each
    rate_limit: str = "300/second"  # per caller (user, API key or address)
    login_rate_limit: str = "30/minute"  # per address, on top of the per-account lockout
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
            return frozenset({"admin", "security_admin", "auditor", "supervisor"})
        return frozenset()

    def jwt_private_key(self) -> str:
        try:
            return self.jwt_private_key_file.read_text()
        except FileNotFoundError as exc:
            raise RuntimeError(
                f"JWT private key not found at {self.jwt_private_key_file}; set OPSDESK_JWT_PRIVATE_KEY_FILE"
            ) from exc

    def upstreams(self) -> list[tuple[str, str]]:
        """(path prefix, service base URL), longest prefix first."""
        return [
            ("/api/tickets", self.intake_url),
            ("/api/calls", self.intake_url),
            ("/api/callers", self.intake_url),
            ("/api/cti", self.intake_url),
            ("/api/work-orders", self.dispatch_url),
            ("/api/engineers", self.dispatch_url),
            ("/api/dispatch", self.dispatch_url),
            ("/api/sla", self.dispatch_url),
            ("/api/sms", self.notifications_url),
            ("/api/reports", self.reporting_url),
        ]

    def services(self) -> dict[str, str]:
        return {
            "intake": self.intake_url,
            "dispatch": self.dispatch_url,
            "notifications": self.notifications_url,
            "reporting": self.reporting_url,
        }
