#!/usr/bin/env python3
"""The viewer's login page in a real browser: headless Chromium driven by Selenium (chromedriver).

Usage: check_login_browser.py URL USER PASSWORD ROLE

Checks, each printed: an unauthenticated visit to / lands on the login page; a wrong password shows a message and
no session cookie; the right password opens the viewer, which names the user and role; the session cookie is
HttpOnly (invisible to page scripts) and SameSite=Strict; the password is in no cookie, URL or web storage; logging
out returns to the login page and the cookie no longer opens the API. Exits non-zero on the first failure.
"""
import json
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def main() -> int:
    url, user, password, role = sys.argv[1:5]
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,800",
              f"--user-data-dir={tempfile.mkdtemp(prefix='scinti-login-')}"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    # 40 s: a 2-core CI machine compiles nothing here, but Chromium's first start and the server's first
    # rendering share the cores. Stale elements are retried: the study list is rebuilt when it reloads.
    wait = WebDriverWait(driver, 40, ignored_exceptions=(StaleElementReferenceException,))
    step = ["starting"]

    def at(what: str) -> None:
        step[0] = what

    def click_first(css: str) -> None:
        for _ in range(10):
            try:
                driver.find_elements(By.CSS_SELECTOR, css)[0].click()
                return
            except StaleElementReferenceException:
                pass
        raise StaleElementReferenceException(f"{css} kept being replaced")

    def ok(cond: bool, what: str) -> None:
        print(("ok: " if cond else "FAILED: ") + what)
        if not cond:
            driver.quit()
            sys.exit(1)

    try:
        at("opening / (expecting the login page)")
        driver.get(url + "/")
        wait.until(EC.presence_of_element_located((By.ID, "login")))
        ok(driver.current_url.endswith("/login"), f"unauthenticated / redirects to the login page ({driver.current_url})")
        at("a wrong password")
        driver.find_element(By.ID, "user").send_keys(user)
        driver.find_element(By.ID, "password").send_keys(password + "-wrong")
        driver.find_element(By.ID, "submit").click()
        wait.until(lambda d: d.find_element(By.ID, "message").text not in ("", "logging in…"))
        msg = driver.find_element(By.ID, "message").text
        ok("wrong password" in msg or "unknown user" in msg, f"wrong password shows a message: {msg!r}")
        ok(not any(c["name"] == "scinti_session" for c in driver.get_cookies()), "no session cookie after a failed login")
        ok(driver.find_element(By.ID, "password").get_attribute("value") == "", "the password field is cleared after a failure")

        at("the right password (expecting the viewer with the user named)")
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "submit").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "who"), user))
        ok(driver.current_url.rstrip("/") == url.rstrip("/"), f"the viewer opens after login ({driver.current_url})")
        who = driver.find_element(By.ID, "who").text
        ok(who == f"{user} ({role})", f"the viewer names the user and role: {who!r}")
        at("the study list")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.study") or "stud" in d.find_element(By.ID, "status").text)
        ok(len(driver.find_elements(By.CSS_SELECTOR, "tr.study")) >= 1, "the study list loads with the session cookie")
        cookies = {c["name"]: c for c in driver.get_cookies()}
        c = cookies.get("scinti_session")
        ok(c is not None, "the session cookie is set")
        ok(c.get("httpOnly") is True, "the session cookie is HttpOnly")
        ok(c.get("sameSite") == "Strict", f"the session cookie is SameSite=Strict ({c.get('sameSite')})")
        ok("scinti_session" not in driver.execute_script("return document.cookie"), "page scripts cannot read the session cookie")
        storage = driver.execute_script("return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
        ok(password not in storage and password not in driver.current_url and all(password not in v["value"] for v in cookies.values()),
           "the password is in no cookie, URL or web storage")
        rights = json.loads(driver.execute_script(
            "return fetch('/api/me', {credentials: 'same-origin'}).then(r => r.text())") or "{}").get("rights", [])
        ok(rights and "runJobs" not in rights if role == "reader" else bool(rights), f"the browser's identity has the role's rights: {rights}")

        at("opening a study (expecting the job forms)")
        click_first("tr.study")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jobform"))
        forms = driver.find_elements(By.CSS_SELECTOR, ".jobform")
        shown = any(f.is_displayed() for f in forms)
        ok(shown == ("runJobs" in rights), f"job buttons {'shown' if shown else 'hidden'} for a {role} (rights: runJobs {'runJobs' in rights})")

        at("logging out")
        # The click starts a navigation; chromedriver may report "aborted by navigation" for the click itself or
        # for a lookup made while the page changes. Both mean the logout is under way: wait for the login page,
        # retrying lookups that the navigation interrupts.
        try:
            driver.find_element(By.ID, "logout").click()
        except WebDriverException as e:
            if "navigat" not in (e.msg or ""):
                raise
        WebDriverWait(driver, 40, ignored_exceptions=(StaleElementReferenceException, WebDriverException)).until(
            lambda d: d.find_elements(By.ID, "login") and d.current_url.endswith("/login"))
        ok(driver.current_url.endswith("/login"), "logout returns to the login page")
        status = driver.execute_script("return fetch('/api/me', {credentials: 'same-origin'}).then(r => r.status)")
        ok(status == 401, f"after logout the API answers 401 ({status})")
    except WebDriverException as e:
        # One line naming the step (the check prints the log's last lines; chromedriver's stack says nothing).
        print(f"FAILED at step '{step[0]}': {type(e).__name__}: {(e.msg or '').splitlines()[0] if e.msg else ''}")
        return 1
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
