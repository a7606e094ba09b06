"""One report document, answered in the format asked for: `format=json|csv|xlsx|pdf`."""

from enum import StrEnum
from pathlib import Path

from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from reporting.exports.csv_export import csv_chunks
from reporting.exports.document import Document
from reporting.exports.pdf_export import pdf_bytes
from reporting.exports.xlsx_export import xlsx_bytes


class Format(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


MEDIA_TYPES = {
    Format.csv: "text/csv; charset=utf-8",
    Format.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.pdf: "application/pdf",
}


def disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


async def file_bytes(document: Document, fmt: Format, font_path: Path) -> bytes:
    """The document as a file (the weekly archive keeps these); rendering runs off the event loop."""
    if fmt is Format.xlsx:
        return await run_in_threadpool(xlsx_bytes, document)
    if fmt is Format.pdf:
        return await run_in_threadpool(pdf_bytes, document, font_path)
    return b"".join(csv_chunks(document))


async def render(document: Document, fmt: Format, font_path: Path) -> Response:
    filename = f"{document.filename}.{fmt.value}"
    if fmt is Format.csv:
        return StreamingResponse(csv_chunks(document), media_type=MEDIA_TYPES[fmt], headers=disposition(filename))
    return Response(
        await file_bytes(document, fmt, font_path), media_type=MEDIA_TYPES[fmt], headers=disposition(filename)
    )
