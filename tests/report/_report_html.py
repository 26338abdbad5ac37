"""Parse a report with the standard library: headings, tables (cell text), images (decoded), tags."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Page:
    headings: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)  # table -> rows -> cell texts
    images: list[bytes] = field(default_factory=list)  # decoded PNG bytes
    tags: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)  # every href/src that is not an inline image
    text: str = ""

    def table(self, first_header: str) -> list[list[str]]:
        """The first table whose first header cell is ``first_header`` (header row included)."""
        return next(t for t in self.tables if t and t[0] and t[0][0] == first_header)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._heading: list[str] | None = None
        self._cell: list[str] | None = None
        self._texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.page.tags.add(tag)
        attrs = dict(attrs)
        for key in ("src", "href"):
            value = attrs.get(key)
            if value and value.startswith("data:image/png;base64,"):
                self.page.images.append(base64.b64decode(value.split(",", 1)[1], validate=True))
            elif value:
                self.page.urls.append(value)
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = []
        elif tag == "table":
            self.page.tables.append([])
        elif tag == "tr":
            self.page.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            self.page.headings.append("".join(self._heading).strip())
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None:
            self.page.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self._texts.append(data)
        for sink in (self._heading, self._cell):
            if sink is not None:
                sink.append(data)


def parse(path: Path) -> Page:
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.page.text = "".join(parser._texts)
    return parser.page


def png_size(data: bytes) -> tuple[int, int]:
    """Decode the PNG fully (Pillow) and return its size: a broken image raises."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        image.load()
        return image.size


def check_self_contained(page: Page) -> None:
    """No script, no link out (only in-page anchors), and every image a real PNG of some size."""
    assert not page.tags & {"script", "link", "iframe", "object", "embed"}
    assert all(url.startswith("#") for url in page.urls), page.urls
    for image in page.images:
        width, height = png_size(image)
        assert width > 200 and height > 200
