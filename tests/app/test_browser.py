"""End to end in a real browser: ``streamlit run app.py`` driven by Playwright and Debian's chromium.

Skipped cleanly when ``/usr/bin/chromium`` or the ``playwright`` package is missing.
"""
from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from apptest_util import APP, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

JAVA = """public static String joinNames(List<String> names, String separator) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < names.size(); i++) {
        if (i > 0) {
            out.append(separator);
        }
        out.append(names.get(i).trim());
    }
    return out.toString();
}
"""

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shipped_tables(task: str = "search", lang: str = "java") -> bool:
    from leancode.tables import table_path

    return all(table_path(m, task, lang).exists() for m in ("leancode", "dietcode"))


@pytest.fixture
def server(tiny_models, tiny_tables, tmp_path):
    """``streamlit run app.py`` on a free local port, on the tiny search model.

    When the package ships no LeanCode/DietCode tables for Java search, the server process
    first points the table directory at tables built for the test, then runs the same
    ``streamlit run`` command line in-process.
    """
    port = _free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               LEANCODE_MODEL_SEARCH=str(tiny_models["search"]),
               LEANCODE_MODEL_SUMMARIZE=str(tiny_models["summarize"]),
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    args = ["run", str(APP), "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    if _shipped_tables():
        cmd = [sys.executable, "-m", "streamlit", *args]
    else:
        launcher = ("import sys; from pathlib import Path; import leancode.tables as t; "
                    f"t.TABLES_DIR = Path({str(tiny_tables)!r}); "
                    "from streamlit.web import cli; sys.argv = ['streamlit', *sys.argv[1:]]; cli.main()")
        cmd = [sys.executable, "-c", launcher, *args]
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                pytest.fail("streamlit did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_paste_java_and_prune_half_in_a_real_browser(server, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    import leancode

    n = leancode.tokenize(JAVA, "java").n
    k = math.ceil(0.5 * n - 1e-9)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.set_default_timeout(240_000)  # the first model load is slow on a busy CPU
            page.goto(server)
            code = page.locator('textarea[aria-label="Code (one function or method)"]')
            code.wait_for()
            code.fill(JAVA)
            code.press("Control+Enter")  # commit the text area (as a blur would)
            page.get_by_text("Code tokens").first.wait_for()
            page.wait_for_function("(n) => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
                                   ".some(e => e.innerText.trim() === String(n))", arg=n)

            page.locator('[data-testid="stSidebarNav"] a', has_text="Prune").first.click()
            slider = page.locator('[data-testid="stSlider"] input[type="range"]').first
            slider.wait_for(state="attached")
            slider.focus()
            page.keyboard.press("Home")
            for _ in range(10):  # 0 -> 50 in steps of 5
                page.keyboard.press("ArrowRight")
            page.wait_for_function("() => document.querySelector('[data-testid=\"stSlider\"] input[type=\"range\"]')"
                                   ".value === '50'")
            for method in ("leancode", "dietcode", "slimcode"):
                page.wait_for_function(
                    "([m, n, k]) => { const root = document.getElementById('lc-prune-' + m);"
                    " return !!root && root.querySelectorAll('.lc-tok').length === n &&"
                    " root.querySelectorAll('.lc-removed').length === k; }",
                    arg=[method, n, k])
            body = page.inner_text("body")
            assert "Traceback" not in body
            for label in ("LeanCode", "DietCode", "SlimCode"):
                assert label in body
            assert body.count(f"removed {k} of {n}") >= 3, body[:2000]
            page.screenshot(path=str(tmp_path / "prune_50.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            log = (tmp_path / "server.log").read_text(errors="replace")[-3000:]
            print(f"screenshot: {tmp_path / 'failure.png'}\nserver log:\n{log}")
            raise
        finally:
            browser.close()
    assert (tmp_path / "prune_50.png").stat().st_size > 10_000
