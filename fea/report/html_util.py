"""Small HTML builders: every text goes through html.escape, images become data URIs."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path


def esc(v) -> str:
    return html.escape(str(v), quote=True)


def fmt(v, digits: int = 4) -> str:
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        return f"{v:.{digits}g}"
    return str(v)


def table(header: list[str], rows: list[list], row_attrs: list[str] | None = None,
          cell_classes: list[list[str]] | None = None) -> str:
    """rows hold already-escaped HTML strings; header is plain text."""
    out = ['<div class="scroll"><table><thead><tr>']
    out += [f'<th class="{"text" if i < 2 else ""}">{esc(h)}</th>' for i, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for k, r in enumerate(rows):
        attrs = row_attrs[k] if row_attrs else ""
        out.append(f"<tr{attrs}>")
        for i, c in enumerate(r):
            cls = cell_classes[k][i] if cell_classes else ""
            cls = " ".join(x for x in (cls, "text" if i < 2 else "") if x)
            out.append(f'<td class="{cls}">{c}</td>' if cls else f"<td>{c}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def img(path: Path, caption: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")
