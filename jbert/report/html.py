"""HTML building blocks: every value escaped, images inlined as base64 PNG, one inline stylesheet,
no script and no link out, so a report is a single file that opens anywhere, offline."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

CSS = """
body { font-family: "DejaVu Sans", "Noto Sans CJK JP", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { border-bottom: 2px solid #1f77b4; padding-bottom: .2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .8em 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; display: block; margin: .6em 0; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: 12px; }
mark.gold { background: #c8f0c8; }
td ol, td ul { margin: 0; padding-left: 1.4em; font-size: 13px; }
.note { color: #8a5a00; }
.muted { color: #777; font-size: 13px; }
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return "<td>-</td>"
    if isinstance(value, float):
        return f'<td class="num">{"nan" if math.isnan(value) else f"{value:.{digits}f}"}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="num">{value}</td>'
    return f"<td>{esc(value)}</td>"


def table(header: Sequence[Any], rows: Iterable[Sequence[Any]], digits: int = 4, raw: bool = False) -> str:
    """A table of escaped values (``raw=True``: cells are trusted HTML built by this package)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{v}</td>" if raw else cell(v, digits) for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def section(title: str, *parts: str, level: int = 2, anchor: str | None = None) -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<section{ident}><h{level}>{esc(title)}</h{level}>{''.join(parts)}</section>"


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><h1>{esc(title)}</h1>{body}</body></html>\n"
    )
