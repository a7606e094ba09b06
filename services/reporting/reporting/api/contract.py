"""`/api/reports/contract`: the service contract the acceptance reports are made under."""

from fastapi import APIRouter

from opsdesk_shared.dependencies import ReadSession, Uow
from reporting.api.dependencies import ContractKeeper, SummaryReader
from reporting.contract.schemas import ContractIn, ContractOut
from reporting.contract.service import get_contract, put_contract

router = APIRouter(prefix="/api/reports/contract", tags=["reports"])


@router.get("", response_model=ContractOut)
async def get_contract_particulars(_: SummaryReader, session: ReadSession) -> ContractOut:
    """The service contract the acceptance reports are made under (`configured: false` until entered)."""
    return await get_contract(session)


@router.put("", response_model=ContractOut)
async def put_contract_particulars(body: ContractIn, principal: ContractKeeper, uow: Uow) -> ContractOut:
    """The contract's particulars (parties, number, period), kept by an admin and printed on every
    quarterly and annual report generated from now on."""
    return await put_contract(uow, body, principal.username)
