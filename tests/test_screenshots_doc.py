"""The README's screenshots: every picture it shows is in docs/screenshots/, made by
`make screenshots` (tools/screenshots.py), and that script still matches the project.

No browser here: the pictures themselves are made by hand with `make screenshots`.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD
from tests.browser.chromium import CHROMIUM_ARGS
from tools import screenshots

ROOT = Path(__file__).resolve().parent.parent
SHOTS_DIR = ROOT / "docs" / "screenshots"

# ![alt](path) and <img … src="path" …>
MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.DOTALL)


def readme_images() -> list[tuple[str, str]]:
    """(src, alt) of every image in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    images = [(m["src"], m["alt"]) for m in MARKDOWN_IMAGE.finditer(text)]
    for tag in HTML_IMAGE.findall(text):
        src = re.search(r'\bsrc="([^"]*)"', tag)
        alt = re.search(r'\balt="([^"]*)"', tag)
        images.append((src[1] if src else "", alt[1] if alt else ""))
    return images


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_readme_shows_screenshots_that_exist_in_docs_screenshots():
    images = readme_images()
    assert len(images) >= 3, "the README shows at least three screenshots"
    for src, alt in images:
        path = (ROOT / src).resolve()
        assert path.parent == SHOTS_DIR.resolve(), f"{src}: not in docs/screenshots/"
        assert path.is_file(), f"{src}: the README shows a picture that is not there"
        assert len(alt) > 20, f"{src}: needs an alt text that says what the page shows"


def test_every_page_the_script_takes_is_there_on_desktop_and_phone():
    for shot in screenshots.SHOTS:
        desktop = SHOTS_DIR / f"desktop-{shot.name}.png"
        phone = SHOTS_DIR / f"phone-{shot.name}.png"
        assert desktop.is_file(), f"{desktop.name} missing: run make screenshots"
        assert phone.is_file(), f"{phone.name} missing: run make screenshots"
        width, height = png_size(desktop)
        assert width == 1366 and height >= 768, f"{desktop.name} is {width}×{height}"
        assert png_size(phone) == (780, 1688), f"{phone.name} is not 390×844 at scale 2"
    taken = {f"{kind}-{s.name}.png" for s in screenshots.SHOTS for kind in ("desktop", "phone")}
    on_disk = {path.name for path in SHOTS_DIR.glob("*.png")}
    assert on_disk == taken, f"pictures no script makes: {sorted(on_disk - taken)}"


def test_the_screenshots_stay_small():
    # 11 pages on desktop (full page) and phone: about 4.2 MB; a page that grew a full-page
    # screenshot of a thousand rows would show here.
    total = sum(path.stat().st_size for path in SHOTS_DIR.glob("*.png"))
    assert total < 5 * 1024 * 1024, f"docs/screenshots/ holds {total / 1024 / 1024:.1f} MB"


def test_make_screenshots_runs_the_script():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^screenshots: install ## \S", makefile, re.MULTILINE)
    assert "screenshots" in re.search(r"^\.PHONY:.*$", makefile, re.MULTILINE)[0]
    assert "make screenshots" in (SHOTS_DIR / "README.md").read_text(encoding="utf-8")
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-n", "screenshots"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "tools/screenshots.py" in result.stdout


def test_the_script_logs_in_and_launches_chromium_as_the_project_does():
    assert screenshots.DEMO_PASSWORD == DEMO_PASSWORD
    assert screenshots.DEMO_DOMAIN == DEMO_DOMAIN
    assert screenshots.CHROMIUM_ARGS == CHROMIUM_ARGS
