"""Resealing the TOTP secrets under the sealing TOTP key (the first line of `OPSDESK_TOTP_KEY_FILE`).

Two reasons to: a rotation of the TOTP key (the new key first, the old one below it, until every secret is
resealed and the old line can go), and, once, the secrets an earlier gateway sealed under a key derived from the
JWT signing key (`legacy_key`): they open with that derivation one last time and are sealed anew, so neither
rotating the signing key nor a new TOTP key costs anyone their enrolment.

Every gateway reseals at start, in the background and retried until the database answers
(`reseal_at_start`); `python -m gateway reseal-totp-secrets` does it by hand and prints what it did. Rows
are locked while they are resealed, so replicas starting together take turns and a concurrent enrolment is
never overwritten with an older secret. A resealing that changed anything is an audit entry.
"""

import asyncio
import base64
from datetime import UTC, datetime

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import audit_chain
from gateway.admin.models import AuditEntry
from gateway.audit_chain import AuditKey
from gateway.auth.models import User
from gateway.config import GatewaySettings
from opsdesk_shared.db import create_engine, session_factory

log = structlog.get_logger(__name__)
RESEAL_ACTOR = "system:totp-reseal"
RETRY_S = 5.0


class ResealResult(BaseModel):
    resealed: int = 0  # were under an older key, now under the sealing one
    current: int = 0  # already under the sealing key
    unreadable: int = 0  # under no key held: those users enrol again (a security admin resets them)


def legacy_key(jwt_private_key_pem: str) -> bytes:
    """The key gateways before separate keys sealed TOTP secrets with (HKDF of the JWT private key). Used only
    to open what they left; nothing is sealed with it."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"opsdesk-totp-secrets").derive(
        jwt_private_key_pem.encode()
    )
    return base64.urlsafe_b64encode(derived)


async def reseal(
    sessions: async_sessionmaker[AsyncSession], *, keys: list[bytes], legacy: bytes, audit_key: AuditKey
) -> ResealResult:
    sealing = Fernet(keys[0])
    older = MultiFernet([Fernet(key) for key in [*keys[1:], legacy]])
    result = ResealResult()
    async with sessions() as session, session.begin():
        users = (await session.scalars(select(User).where(User.totp_secret.is_not(None)).with_for_update())).all()
        for user in users:
            sealed = (user.totp_secret or "").encode()
            try:
                sealing.decrypt(sealed)
                result.current += 1
                continue
            except InvalidToken:
                pass
            try:
                user.totp_secret = sealing.encrypt(older.decrypt(sealed)).decode()
                result.resealed += 1
            except InvalidToken:
                result.unreadable += 1
        if result.resealed:
            await audit_chain.append(
                session,
                audit_key,
                AuditEntry(
                    at=datetime.now(UTC),
                    actor_name=RESEAL_ACTOR,
                    action="totp.reseal.ok",
                    method="RESEAL",
                    path="app_user.totp_secret",
                    status=200,
                    changes=[{"op": "reseal", "table": "app_user", "column": "totp_secret", **result.model_dump()}],
                ),
            )
    if result.resealed or result.unreadable:
        log.info("totp_secrets_resealed", **result.model_dump())
    return result


async def reseal_at_start(
    sessions: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    *,
    keys: list[bytes],
    legacy: bytes,
    audit_key: AuditKey,
) -> None:
    """Reseal once, retrying while the database is away (a gateway may start before PostgreSQL is back)."""
    while not stop.is_set():
        try:
            await reseal(sessions, keys=keys, legacy=legacy, audit_key=audit_key)
            return
        except Exception as exc:  # the database may be restarting; try again shortly
            log.error("totp_reseal_failed", error=repr(exc)[:300])
        try:
            await asyncio.wait_for(stop.wait(), timeout=RETRY_S)
        except TimeoutError:
            pass


async def reseal_now(settings: GatewaySettings) -> ResealResult:
    """The command line's reseal (`python -m gateway reseal-totp-secrets`), with its own connection."""
    engine = create_engine(settings)
    try:
        return await reseal(
            session_factory(engine),
            keys=settings.totp_keys(),
            legacy=legacy_key(settings.jwt_private_key()),
            audit_key=AuditKey.load(settings.audit_key_file),
        )
    finally:
        await engine.dispose()
