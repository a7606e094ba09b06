"""Reading HTML forms into API bodies: blanks left out (so the API's own defaults and messages apply)."""

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from gateway.web.session import CSRF_FIELD


async def form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if not isinstance(v, UploadFile) and k != CSRF_FIELD}


async def form_files(request: Request, name: str) -> list[UploadFile]:
    form = await request.form()
    return [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]


def body_of(fields: dict[str, str], *names: str, **fixed: Any) -> dict[str, Any]:
    body: dict[str, Any] = {name: fields[name] for name in names if fields.get(name)}
    body.update(fixed)
    return body
