"""Headless Chromium (Debian `chromium` + `chromium-driver`) for the Selenium checks of the viewer."""
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def chromium(prefix: str, size: str = "1400,1000") -> webdriver.Chrome:
    """A fresh headless Chromium with its own profile folder."""
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={size}",
              f"--user-data-dir={tempfile.mkdtemp(prefix=prefix)}"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
