"""Renders one report file in a process of its own:
`python -m opsdesk_shared.documents.render_child <xlsx|pdf> <font path>`, the document pickled on standard
input, the file's bytes on standard output (render.py starts it and waits for it).

Why a process: rendering holds the GIL for seconds (a weekly PDF of a busy week, about 3 s), which in a
thread of the API froze every other request meanwhile; and what it loads (matplotlib, reportlab's Chinese
font, openpyxl, the document's rows) left the API tens of MB larger for good. The child takes both with
it when it exits.
"""

import pickle
import sys
from pathlib import Path

from opsdesk_shared.documents.pdf_export import pdf_bytes
from opsdesk_shared.documents.xlsx_export import xlsx_bytes


def main() -> None:
    fmt, font_path = sys.argv[1], Path(sys.argv[2])
    document = pickle.load(sys.stdin.buffer)  # from the API that started this process, nobody else
    data = xlsx_bytes(document) if fmt == "xlsx" else pdf_bytes(document, font_path)
    sys.stdout.buffer.write(data)


if __name__ == "__main__":
    main()
