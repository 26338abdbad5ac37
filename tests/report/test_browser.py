"""A report in a real headless browser (Debian's chromium): it renders with no network, and the
embedded plots really paint pixels. Skipped when chromium is not installed (`apt-get install chromium`)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jbert.cli import app

pytest.importorskip("matplotlib")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# headless, offline, nothing from a user profile: a fresh --user-data-dir per run
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def screenshot(page: Path, png: Path, profile: Path, size: str = "1200,1800") -> None:
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                    f"--screenshot={png}", page.as_uri()], check=True, capture_output=True, timeout=120)


def _share(image, rgb: tuple[int, int, int], tolerance: int = 30) -> int:
    """Pixels within ``tolerance`` of ``rgb`` on every channel."""
    import numpy as np

    pixels = np.asarray(image.convert("RGB")).astype(int)
    return int((np.abs(pixels - np.array(rgb)).max(axis=-1) <= tolerance).sum())


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_chromium(trained, tmp_path):
    from PIL import Image

    html = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(trained("jsts")), "--output", str(html)])
    assert result.exit_code == 0, result.output
    png = tmp_path / "report.png"
    screenshot(html, png, tmp_path / "profile")
    with Image.open(io.BytesIO(png.read_bytes())) as image:
        assert image.size == (1200, 1800)
        # matplotlib's orange (#ff7f0e) is only in the plots: the validation-loss line and its points
        assert _share(image, (255, 127, 14)) > 50
        # and the page is not blank: dark text on white
        assert _share(image, (34, 34, 34), tolerance=40) > 1000
