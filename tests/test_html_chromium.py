"""The HTML report opened from disk in headless Chromium (Debian's `chromium` package): it
loads without errors, runs nothing, fetches nothing, and shows the claims."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from seed_example import enter_seed

XSS = '<script>document.title="pwned"</script><img src=x onerror="document.title=1">'


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")


def run_chromium(binary: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-extensions", "--enable-logging=stderr", "--v=0",
         f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("engine_name", ["sqlite"])  # one browser run is enough
def test_html_report_renders_in_chromium(cli, tmp_path):
    binary = chromium()
    enter_seed(cli)
    cli.ok("claim", "add", XSS, "--key", "xss")
    page = tmp_path / "report.html"
    cli.ok("report", "--format", "html", "-o", str(page))

    dom = run_chromium(binary, tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "<title>claimtrack report</title>" in html  # no script changed the title
    for key in ("halt", "backlash", "kim-order", "xss"):
        assert f">{key}</a>" in html
    assert html.count("<svg") == 3  # the xss claim has no evidence yet
    assert "The anti-socialist crackdown had largely stopped by June 2018." in html
    assert "&lt;script&gt;document.title" in html
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "Uncaught" in line or "Refused" in line], console

    # Anchors are the claims' keys; links between claims are shown and lead to the other one.
    assert '<section class="claim" id="halt">' in html
    assert 'links: supports <a href="#halt">halt</a>' in html

    # A desktop and a phone: at 400 px the summary table scrolls sideways with key, status
    # and score first, and each graph keeps its size in a scrolling box instead of shrinking
    # to unreadable text. Screenshots are kept in $CLAIMTRACK_SCREENSHOTS when set, to look at.
    keep = os.environ.get("CLAIMTRACK_SCREENSHOTS")
    for width in (1400, 400):
        shot = tmp_path / f"report-{width}.png"
        run = run_chromium(
            binary, tmp_path, f"--screenshot={shot}", f"--window-size={width},1600", page.as_uri()
        )
        assert run.returncode == 0 and shot.stat().st_size > 10_000, run.stderr[-2000:]
        if keep:
            shutil.copy(shot, os.path.join(keep, shot.name))


# Measures the laid-out page: the report runs no script (its CSP forbids any), so a copy
# without the CSP gets one that writes the sizes into the DOM, read back with --dump-dom.
PROBE = """<script>
addEventListener("load", () => {
  const box = document.querySelector(".scroll");
  const heads = [...document.querySelectorAll("table.claims thead th")];
  document.body.dataset.probe = JSON.stringify({
    scroll: box.scrollWidth, client: box.clientWidth,
    heads: heads.map(th => [th.textContent, Math.round(th.getBoundingClientRect().width)]),
  });
});
</script></body>"""


def laid_out(binary: str, tmp_path, page, width: int) -> dict:
    import html as html_module
    import json
    import re

    source = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    probe = tmp_path / f"probe-{width}.html"
    probe.write_text(source.replace("</body>", PROBE))
    dom = run_chromium(binary, tmp_path, f"--window-size={width},1600", "--dump-dom",
                       probe.as_uri())  # fmt: skip
    found = re.search(r'data-probe="([^"]*)"', dom.stdout)
    assert found, dom.stderr[-2000:]
    return json.loads(html_module.unescape(found.group(1)))


@pytest.mark.parametrize("engine_name", ["sqlite"])
def test_summary_table_fits_a_desktop_without_scrolling(cli, tmp_path):
    """At 1400 px the summary table fits: long headers over short values (CONFIDENCE over
    'low') break at a soft hyphen, the last change wraps between day and time."""
    binary = chromium()
    enter_seed(cli)
    cli.ok("claim", "add", "북한의 반사회주의 단속은 2018년 6월까지 대체로 중단되었다.", "--key",
           "criticism-reached-the-centre")  # fmt: skip
    page = tmp_path / "report.html"
    cli.ok("report", "--format", "html", "-o", str(page))
    desktop = laid_out(binary, tmp_path, page, 1400)
    assert desktop["scroll"] <= desktop["client"], desktop
    widths = dict(desktop["heads"])
    assert widths["confi\xaddence"] < 90 and widths["claim"] >= 200, widths
    # A narrow window still scrolls sideways rather than squeezing the claim text.
    narrow = laid_out(binary, tmp_path, page, 700)
    assert narrow["scroll"] > narrow["client"], narrow
