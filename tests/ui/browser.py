"""Debian's headless Chromium driven by Debian's chromedriver, through Selenium.

Both paths are given explicitly, so Selenium never runs Selenium Manager (it is only consulted
when the `Service` names no driver) and nothing downloads a browser; `SE_OFFLINE` makes sure of
it should a later Selenium consult the manager anyway. Selenium is synchronous: callers in an
async test run these methods in a thread (`asyncio.to_thread`), because the worker that answers
the UI's queries runs on the test's event loop.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = Path(os.environ.get("ORDERS_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("ORDERS_CHROMEDRIVER", "/usr/bin/chromedriver"))
WINDOW = (1280, 900)
"""Wide enough for the UI's list columns, small enough for the images of docs/web-ui.md."""


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if absent:
        return (
            f"{' and '.join(absent)} not installed: `apt-get install -y chromium chromium-driver`"
            " (`.ci/run` does it)"
        )
    return None


class Browser:
    """One headless Chromium window; `text_appears` polls the page, it never sleeps and hopes."""

    def __init__(self, log: Path) -> None:
        os.environ.setdefault("SE_OFFLINE", "true")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",  # we run as root in CI, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",  # small /dev/shm in containers crashes tabs
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
        ):
            options.add_argument(argument)
        service = Service(executable_path=str(CHROMEDRIVER), log_output=str(log))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(30)
        # `--window-size` counts the window's frame; the screenshots should be the page's size.
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False},
        )

    def close(self) -> None:
        self.driver.quit()

    def text(self) -> str:
        """The page's visible text, and that of its frames (the UI renders markdown in them)."""
        driver = self.driver
        try:
            parts = [driver.find_element(By.TAG_NAME, "body").text]
            for frame in driver.find_elements(By.TAG_NAME, "iframe"):
                driver.switch_to.frame(frame)
                try:
                    parts.append(driver.find_element(By.TAG_NAME, "body").text)
                finally:
                    driver.switch_to.default_content()
        except WebDriverException:  # the page is being replaced under us: no text yet
            return ""
        return "\n".join(str(part) for part in parts)

    def text_appears(
        self,
        url: str,
        texts: list[str],
        *,
        tab: str | None = None,
        within: float = 60.0,
        reload_every: float = 10.0,
    ) -> str:
        """Open `url` (and its `tab`) until the page shows every one of `texts`; return its text.

        The UI loads its data after the page; visibility and queries may lag the order. So the
        page is read until the texts show, and reloaded every `reload_every` seconds meanwhile.
        """
        deadline = time.monotonic() + within
        page = ""
        while time.monotonic() < deadline:
            self.driver.get(url)
            on_tab = tab is None
            reload_at = min(deadline, time.monotonic() + reload_every)
            while time.monotonic() < reload_at:
                if not on_tab:
                    on_tab = self.click_text(str(tab))
                page = self.text()
                if on_tab and all(text in page for text in texts):
                    return page
                time.sleep(0.2)  # the pace of polling the page, not a wait for a result
        absent = [text for text in texts if text not in page]
        raise AssertionError(f"not within {within}s on {url}: {absent}\n--- page ---\n{page}")

    def click_text(self, text: str) -> bool:
        """Click the first element that shows exactly `text` (a tab); False if there is none yet."""
        try:
            self.driver.find_element(By.XPATH, f"//*[normalize-space(text())={text!r}]").click()
        except WebDriverException:
            return False
        return True

    def scroll_to(self, text: str) -> None:
        """Bring the first element whose text contains `text` to the middle of the window."""
        element = self.driver.find_element(By.XPATH, f"//*[contains(text(), {text!r})]")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
        return path
