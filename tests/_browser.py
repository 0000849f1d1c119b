"""A headless Chromium driven by Selenium through Debian's chromedriver, for the site's browser tests.

The browser starts with a throwaway profile and no background networking, records its console and its
network activity (Chrome's performance log), and is shared by the tests of a session.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import time
from dataclasses import dataclass

from tests._renderfixture import _scratch

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--disable-quic", "--window-size=1280,1800"]


@functools.cache
def browser():
    """The session's headless Chromium (closed at exit)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert driver_path and chromium, "install chromium and chromium-driver (Debian packages; .ci/run installs them)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={_scratch('evalcorr-selenium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    atexit.register(driver.quit)
    driver.get("about:blank")
    return driver


@dataclass
class Visit:
    """One page load: when its figures were drawn (ms after navigation), its console errors, its requests."""

    ready_ms: float       # the figures on or near the screen are drawn: the page is usable
    all_drawn_ms: float   # every figure of the page is drawn
    errors: list[str]
    urls: list[str]

    @property
    def off_disk(self) -> list[str]:
        """The requests that leave the local files (anything but file:, data: and blob: URLs)."""
        return [url for url in self.urls if not url.startswith(("file:", "data:", "blob:"))]


def visit(driver, page, timeout: float = 30.0) -> Visit:
    """Open a local page and wait until all its interactive figures are drawn.

    Chrome's logs are read before (and discarded) and after the load; the requests kept are those made by
    this page (their ``documentURL`` is the page), so the browser's own start page does not count.
    """
    driver.get_log("browser"), driver.get_log("performance")
    url = page.resolve().as_uri()
    driver.get(url)
    deadline = time.monotonic() + timeout
    times = None
    while times is None and time.monotonic() < deadline:
        times = driver.execute_script("return window.evalcorrAllDrawnAt === undefined ? null : "
                                      "[window.evalcorrReadyAt, window.evalcorrAllDrawnAt]")
        if times is None:
            time.sleep(0.02)
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    if times is None:
        raise AssertionError(f"{page}: the interactive figures were not drawn within {timeout} s; errors: {errors}")
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent" and message["params"].get("documentURL") == url:
            urls.append(message["params"]["request"]["url"])
    return Visit(float(times[0]), float(times[1]), errors, urls)


def errors_since(driver) -> list[str]:
    """Console errors logged since the last read of the log (e.g. while interacting)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
