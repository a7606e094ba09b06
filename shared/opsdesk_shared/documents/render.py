"""One document, answered in the format asked for: `format=json|csv|xlsx|pdf` (JSON is the report's own
figures, answered by its route)."""

import asyncio
import contextlib
import pickle
import sys
from enum import StrEnum
from pathlib import Path
from uuid import UUID

from fastapi.responses import Response, StreamingResponse

from opsdesk_shared.documents.csv_export import csv_chunks
from opsdesk_shared.documents.document import Document
from opsdesk_shared.documents.limits import RenderLimits
from opsdesk_shared.errors import ServiceUnavailable


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


# XLSX and PDF files are rendered in child processes (render_child.py says why); this many at a time.
_RENDERING = asyncio.Semaphore(2)


class RenderingFailed(RuntimeError):
    pass


def _require_font(path: Path) -> None:
    """Said here, in the API, as a 503: in the child a missing font would only be a crash (a 500). One stat
    of a local file, not worth a thread."""
    if not path.is_file():
        raise ServiceUnavailable(
            f"PDF export needs a Chinese TrueType font at {path} (Debian: apt-get install fonts-wqy-microhei, "
            "or set the service's font path setting)",
            code="report.font_missing",
        )


async def file_bytes(document: Document, fmt: Format, font_path: Path, *, timeout_s: float | None = None) -> bytes:
    """The document as a file (the weekly archive keeps these). An XLSX or PDF render still running after
    `timeout_s` (None: no limit) is killed and raises TimeoutError."""
    if fmt is Format.pdf:
        _require_font(font_path)
    if fmt in (Format.xlsx, Format.pdf):
        return await _render_in_child(document, fmt, font_path, timeout_s)
    return b"".join(csv_chunks(document))


async def _render_in_child(document: Document, fmt: Format, font_path: Path, timeout_s: float | None) -> bytes:
    async with _RENDERING:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "opsdesk_shared.documents.render_child",
            fmt.value,
            str(font_path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            data, errors = await asyncio.wait_for(child.communicate(pickle.dumps(document)), timeout_s)
        except BaseException:  # the caller went away, or the time limit passed: so does the rendering
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
            raise
    if child.returncode != 0:
        raise RenderingFailed(f"rendering the {fmt.value} file failed: {errors.decode(errors='replace')[-1000:]}")
    return data


async def render(document: Document, fmt: Format, font_path: Path, limits: RenderLimits, user: UUID) -> Response:
    """The document as a download; an XLSX or PDF within the user's render slots and the time limit."""
    filename = f"{document.filename}.{fmt.value}"
    if fmt is Format.csv:
        return StreamingResponse(csv_chunks(document), media_type=MEDIA_TYPES[fmt], headers=disposition(filename))
    with limits.slot(user):
        try:
            data = await file_bytes(document, fmt, font_path, timeout_s=limits.timeout_s)
        except TimeoutError as exc:
            raise limits.timed_out(fmt.value) from exc
    return Response(data, media_type=MEDIA_TYPES[fmt], headers=disposition(filename))
