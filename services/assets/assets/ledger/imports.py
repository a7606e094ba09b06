"""Importing the bureau's ledger spreadsheet: every row checked first, then all of it applied in one
transaction, or none of it. Rows are matched to the ledger by asset tag: a new tag registers an asset, a
known one is brought to the row's values, and a row that says what the ledger says changes nothing (so the
same file imported twice changes nothing the second time: no write, no event)."""

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.directory import service as directory
from assets.directory.models import Unit
from assets.ledger import service, spreadsheet
from assets.ledger.models import Asset
from assets.ledger.schemas import AssetCreate, ImportResult, StatusChangeIn
from assets.ledger.spreadsheet import Problem
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.vocabulary import AssetStatus
from opsdesk_shared.errors import RuleViolation

MAX_PROBLEMS_LISTED = 200
# Fields a row sets on an asset it finds (the tag matched it; the status is a step of its own).
UPDATABLE = tuple(f for f in AssetCreate.model_fields if f not in ("tag", "status", "approval_ref"))


def _refuse(problems: list[Problem], rows: int) -> RuleViolation:
    bad_rows = sorted({p.row for p in problems})
    listed = problems[:MAX_PROBLEMS_LISTED]
    first = listed[0]
    return RuleViolation(
        f"{len(bad_rows)} of {rows} rows cannot be imported (first: row {first.row}, {first.field}: {first.message}); "
        "nothing was imported",
        field="file",
        errors=[{"row": p.row, "field": p.field, "message": p.message} for p in listed],
        bad_rows=bad_rows[:MAX_PROBLEMS_LISTED],
    )


def _validation_problems(row: int, exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        name = loc[0] if loc else "row"
        problems.append(Problem(row, "unit_code" if name == "unit_id" else name, error.get("msg", "invalid")))
    return problems


async def import_ledger(
    session: AsyncSession, principal: Principal, content: bytes, filename: str, *, max_rows: int
) -> ImportResult:
    table = spreadsheet.read_table(content, filename)
    rows, problems = spreadsheet.check_rows(table, max_rows=max_rows)
    units = await directory.by_codes(session, {str(r.values["unit_code"]) for r in rows if r.values.get("unit_code")})
    commands: list[tuple[int, AssetCreate, str | None]] = []
    for row in rows:
        values = dict(row.values)
        code = values.pop("unit_code", None)
        approval = values.get("approval_ref")
        unit = units.get(code) if code else None
        if code and unit is None:
            problems.append(Problem(row.row, "unit_code", f"no unit with code {code!r}"))
            continue
        if any(p.row == row.row for p in problems):
            continue
        values = {k: v for k, v in values.items() if v is not None}
        try:
            commands.append((row.row, AssetCreate(**values, unit_id=unit.id if unit else None), approval))
        except ValidationError as exc:
            problems.extend(_validation_problems(row.row, exc))
    if problems:
        raise _refuse(sorted(problems, key=lambda p: p.row), len(rows))

    tags = [cmd.tag for _, cmd, _ in commands]
    existing = {
        a.tag: a for a in (await session.execute(select(Asset).where(Asset.tag.in_(tags)).with_for_update())).scalars()
    }
    at = datetime.now(UTC)
    created = updated = 0
    batch: list[Event] = []
    # Rules that need the ledger as it stands (a retired asset stays retired, off site only with an approval):
    # every row is still gone through, so each one that breaks a rule is named; then none of it is kept.
    late: list[Problem] = []
    new: list[tuple[AssetCreate, Unit]] = []
    units_by_id = {u.id: u for u in units.values()}
    for number, cmd, approval in commands:
        asset = existing.get(cmd.tag)
        try:
            if asset is None:
                if cmd.status == AssetStatus.OFF_SITE and not cmd.approval_ref:
                    raise service.off_site_without_approval()
                new.append((cmd, units_by_id[cmd.unit_id]))
                created += 1
                continue
            changes: dict[str, Any] = {f: getattr(cmd, f) for f in UPDATABLE}
            changes = {k: v.value if hasattr(v, "value") else v for k, v in changes.items()}
            touched = bool(await service.update(session, principal, asset, changes, at=at, batch=batch))
            # A blank status cell leaves the asset's status as it is (AssetCreate's default is for new ones).
            status = cmd.status if "status" in cmd.model_fields_set else None
            if status is not None and status != asset.status:
                change = StatusChangeIn(status=status, reason="台帐导入", approval_ref=approval)
                touched |= await service.change_status(session, principal, asset, change, at=at, batch=batch)
            updated += touched
        except RuleViolation as exc:
            late.append(Problem(number, str(exc.extensions.get("field", "row")), exc.detail))
    if late:
        raise _refuse(late, len(rows))
    await service.flush_unique(session)
    await service.register_checked(session, principal, new, at=at, batch=batch)
    await service.announce_batch(session, batch)
    return ImportResult(
        rows=len(commands), created=created, updated=updated, unchanged=len(commands) - created - updated
    )
