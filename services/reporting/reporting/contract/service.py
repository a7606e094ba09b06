"""The service contract's particulars (parties, number, period), kept by an admin in reporting's own
database rather than in code or settings, so a new contract year or a renamed party needs no release.
The quarterly and annual acceptance reports print them, and close with the parties' signature block."""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Signatures, Table
from opsdesk_shared.errors import RuleViolation
from reporting.contract.schemas import ContractIn, ContractOut

NOT_SET = "（未设置 not set）"


_COLUMNS = "contract_number, contract_title, client_name, vendor_name, starts_on, ends_on, updated_by, updated_at"


async def get_contract(session: AsyncSession) -> ContractOut:
    row = (await session.execute(text(f"SELECT {_COLUMNS} FROM contract_particulars WHERE id = 1"))).first()
    return ContractOut(configured=False) if row is None else ContractOut(configured=True, **dict(row._mapping))


async def put_contract(session: AsyncSession, body: ContractIn, by: str) -> ContractOut:
    """Replaces the particulars (the caller's transaction commits)."""
    if body.ends_on < body.starts_on:
        raise RuleViolation(
            "the contract must end on or after it starts", field="ends_on", code="contract.ends_before_start"
        )
    values = {**body.model_dump(), "updated_by": by, "updated_at": datetime.now(UTC)}
    await session.execute(
        text(
            f"INSERT INTO contract_particulars (id, {_COLUMNS}) VALUES (1, :contract_number, :contract_title,"
            " :client_name, :vendor_name, :starts_on, :ends_on, :updated_by, :updated_at) ON CONFLICT (id) DO UPDATE"
            " SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS.split(", "))
        ),
        values,
    )
    return ContractOut(configured=True, **values)


def contract_table(contract: ContractOut) -> Table:
    def value(v: object) -> str:
        return NOT_SET if v is None else str(v)

    period = f"{contract.starts_on} – {contract.ends_on}" if contract.starts_on and contract.ends_on else NOT_SET
    return Table(
        "合同信息 Contract particulars",
        ["项目 Item", "内容 Particulars"],
        [
            ["合同名称 Contract", value(contract.contract_title)],
            ["合同编号 Contract number", value(contract.contract_number)],
            ["甲方 Party A (client)", value(contract.client_name)],
            ["乙方 Party B (vendor)", value(contract.vendor_name)],
            ["合同期限 Contract period", period],
        ],
    )


def signature_block(contract: ContractOut) -> Signatures:
    return Signatures(
        "验收签署 Acceptance signatures",
        [
            ("甲方（公安局）Party A (bureau)", contract.client_name or ""),
            ("乙方（运维服务商）Party B (vendor)", contract.vendor_name or ""),
        ],
    )
