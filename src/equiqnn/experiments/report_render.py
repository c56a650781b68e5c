"""A report as a list of blocks, rendered twice: Markdown (figures linked) and one self-contained
HTML page (figures embedded as base64 PNG data URIs, inline CSS, nothing fetched from a network).

Text may hold inline code in backticks; everything else is escaped for its target (``|`` in
Markdown table cells, ``& < > " '`` in HTML).
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Heading",
    "Para",
    "Bullets",
    "Code",
    "Table",
    "Figure",
    "Block",
    "to_markdown",
    "to_html",
]


@dataclass(frozen=True)
class Heading:
    """A section title; ``level`` 1 is the page title."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    """A paragraph (inline code in backticks)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list (inline code in backticks)."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Code:
    """A preformatted block (a command, a config)."""

    text: str
    lang: str = ""


@dataclass(frozen=True)
class Table:
    """A table of strings; ``align`` per column is ``"l"`` or ``"r"`` (default: left)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A PNG inside the report directory, its title, caption and regeneration commands."""

    file: str
    title: str
    caption: str = ""
    commands: tuple[str, ...] = field(default=())


Block = Heading | Para | Bullets | Code | Table | Figure

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72rem;
       margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; }
th { background: #f1f1f1; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f4f4f4; padding: 0.05rem 0.3rem; border-radius: 3px; font-size: 0.85em; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9rem; color: #333; }
pre { background: #f4f4f4; padding: 0.6rem; overflow-x: auto; font-size: 0.8rem; }
pre code { background: none; padding: 0; }
.cmd { font-size: 0.85rem; margin: 0.2rem 0; }
"""


# -- Markdown ------------------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> str:
    align = t.align or ("l",) * len(t.header)
    lines = [
        "| " + " | ".join(_md_cell(h) for h in t.header) + " |",
        "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
    return "\n".join(lines)


def to_markdown(blocks: list[Block]) -> str:
    """The blocks as Markdown; figures as image links relative to the report directory."""
    parts = []
    for b in blocks:
        if isinstance(b, Heading):
            parts.append("#" * b.level + " " + b.text)
        elif isinstance(b, Para):
            parts.append(b.text)
        elif isinstance(b, Bullets):
            parts.append("\n".join(f"- {item}" for item in b.items))
        elif isinstance(b, Code):
            fence = "````" if "```" in b.text else "```"
            parts.append(f"{fence}{b.lang}\n{b.text}\n{fence}")
        elif isinstance(b, Table):
            parts.append(_md_table(b))
        else:
            parts += [f"### {b.title}", f"![{b.title}]({b.file})"]
            if b.caption:
                parts.append(b.caption)
            if b.commands:
                parts.append("\n".join(f"- {c}" for c in b.commands))
    return "\n\n".join(parts) + "\n"


# -- HTML ----------------------------------------------------------------------------------------
def _inline(text: str) -> str:
    """Escaped text with ``backtick`` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=True))


def _html_table(t: Table) -> str:
    align = t.align or ("l",) * len(t.header)
    cls = [' class="r"' if a == "r" else "" for a in align]
    head = "".join(f"<th{c}>{html.escape(h)}</th>" for h, c in zip(t.header, cls, strict=True))
    body = "\n".join(
        "<tr>"
        + "".join(f"<td{c}>{html.escape(v)}</td>" for v, c in zip(row, cls, strict=True))
        + "</tr>"
        for row in t.rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _html_figure(f: Figure, root: Path) -> str:
    data = base64.b64encode((root / f.file).read_bytes()).decode("ascii")
    cmds = "".join(f'<p class="cmd">{_inline(c)}</p>' for c in f.commands)
    caption = f"<p>{_inline(f.caption)}</p>" if f.caption else ""
    return (
        f"<h3>{html.escape(f.title)}</h3>\n<figure>\n"
        f'<img alt="{html.escape(f.title, quote=True)}" src="data:image/png;base64,{data}">\n'
        f"<figcaption>{caption}{cmds}</figcaption>\n</figure>"
    )


def to_html(blocks: list[Block], root: Path, title: str) -> str:
    """One self-contained HTML page; figures read from ``root`` and embedded as data URIs."""
    parts = []
    for b in blocks:
        if isinstance(b, Heading):
            parts.append(f"<h{b.level}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            parts.append(f"<p>{_inline(b.text)}</p>")
        elif isinstance(b, Bullets):
            parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Code):
            parts.append(f"<pre><code>{html.escape(b.text)}</code></pre>")
        elif isinstance(b, Table):
            parts.append(_html_table(b))
        else:
            parts.append(_html_figure(b, root))
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
