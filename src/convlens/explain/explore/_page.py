"""The explorer's HTML: the page shell, its stylesheet and scripts (real files in ``static/``)
and the JSON blob, inlined into one self-contained document."""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

# The scripts, in the order the page runs them.
SCRIPTS = ("data.js", "draw.js", "overview.js", "detail.js", "hover.js", "main.js")


def _static(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _safe_json(blob: dict[str, Any]) -> str:
    """JSON that cannot end its <script> element early."""
    text = json.dumps(blob, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(blob: dict[str, Any]) -> str:
    """The whole document for ``blob``."""
    scripts = "\n".join(f"/* {name} */\n{_static(name)}" for name in SCRIPTS)
    return (_static("page.html")
            .replace("{{title}}", html.escape(blob["title"]))
            .replace("{{style}}", _static("explore.css"))
            .replace("{{script}}", scripts)
            .replace("{{data}}", _safe_json(blob)))
