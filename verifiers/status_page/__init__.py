"""The status page's files (HTML, CSS, JS), shipped in the package and served as they are: nothing
is fetched from elsewhere and nothing is built. The offline report (`verifiers/report.py`) inlines
the same stylesheet and plot script, so the page and the report draw alike."""

from __future__ import annotations

from importlib.resources import files
from pathlib import PurePath

# URL path -> file. The page refers to its files relatively, so it also works under a path prefix.
PAGE: dict[str, str] = {
    "/": "index.html",
    "/ui/style.css": "style.css",
    "/ui/plots.js": "plots.js",
    "/ui/status.js": "status.js",
}
PUBLIC_PATHS = frozenset(PAGE)

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


def read(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def media_type(name: str) -> str:
    return _MEDIA_TYPES[PurePath(name).suffix]
