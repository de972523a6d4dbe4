"""What a staff member does in the back office, in a browser: sign in, tick rows, run an action, read the page."""

from __future__ import annotations

from base64 import b32decode
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from django.contrib.auth.models import Permission
from django_otp.oath import totp
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.models import User
from accounts.services.mfa import mfa_totp_enrol_by_operator
from accounts.tests.factories import PASSWORD, StaffFactory

T = TypeVar("T")

# The admin home's count of alerts nobody has answered (templates/admin/index.html; the dashboard keeps it).
ACTIVE_COUNT = "#emergency-count[data-active-emergencies], #emergency-count [data-active-emergencies]"


@dataclass
class StaffMember:
    user: User
    secret: str  # the authenticator's base32 secret, as ``manage.py totp_enrol`` prints it

    @property
    def email(self) -> str:
        return self.user.email

    def code(self) -> str:
        """The code the staff member's authenticator app shows now."""
        key = b32decode(self.secret + "=" * (-len(self.secret) % 8))
        return f"{totp(key):06d}"


def staff_member(*permissions: str) -> StaffMember:
    """A staff member (not a superuser) holding only ``permissions`` ("app.codename"), with an authenticator."""
    user = cast(User, StaffFactory())
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return StaffMember(user=user, secret=mfa_totp_enrol_by_operator(user=user).secret)


def wait_for(browser: WebDriver, condition: Callable[[WebDriver], T], timeout: float = 10, what: str = "") -> T:
    """``condition``'s first truthy answer, tried until ``timeout``; a page reloading meanwhile is retried."""
    waiting = WebDriverWait(
        browser,
        timeout,
        poll_frequency=0.1,
        ignored_exceptions=[NoSuchElementException, StaleElementReferenceException],
    )
    return waiting.until(
        condition, f"{what or getattr(condition, '__name__', 'the condition')}: not within {timeout:g} s"
    )


def click_and_wait_for_the_next_page(browser: WebDriver, button: WebElement, timeout: float = 15) -> None:
    """Press a button that submits a form, and wait until the page it leads to has replaced this one.

    This page is marked (a window property) before the click; the next one is there once a document
    without the mark has loaded. Asked mid-navigation, chromedriver may answer with an error of its own
    rather than "stale element" ("Node with given id does not belong to the document"): such an answer
    means "not yet", and the wait asks again.
    """
    browser.execute_script("window.__gnLeaving = true;")
    button.click()

    def next_page_loaded(driver: WebDriver) -> bool:
        return bool(driver.execute_script("return !window.__gnLeaving && document.readyState === 'complete';"))

    WebDriverWait(browser, timeout, poll_frequency=0.05, ignored_exceptions=[WebDriverException]).until(
        next_page_loaded, f"the next page: not within {timeout:g} s"
    )


def submit_login(browser: WebDriver, base: str, *, email: str, password: str, code: str) -> None:
    browser.get(f"{base}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(email)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.ID, "id_otp_token").send_keys(code)
    click_and_wait_for_the_next_page(
        browser, browser.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]:not([name])")
    )


def sign_in(browser: WebDriver, base: str, staff: StaffMember) -> None:
    """Email, password and the authenticator's current code on the admin's login page; lands on the admin home."""
    submit_login(browser, base, email=staff.email, password=PASSWORD, code=staff.code())
    wait_for(browser, lambda b: b.find_element(By.ID, "user-tools"), what="the admin home after signing in")
    assert browser.current_url == f"{base}/admin/", browser.current_url


def errors(browser: WebDriver) -> list[str]:
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".errornote, .errorlist li")]


def messages(browser: WebDriver) -> list[str]:
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]


def run_action(browser: WebDriver, action: str, pks: Sequence[object]) -> None:
    """On a changelist: tick the rows of ``pks``, choose ``action`` and press Go, as staff do."""
    for pk in pks:
        box = browser.find_element(By.CSS_SELECTOR, f'input.action-select[value="{pk}"]')
        if not box.is_selected():
            box.click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    click_and_wait_for_the_next_page(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="index"]'))


def row_of(browser: WebDriver, pk: object) -> str:
    """The changelist row of ``pk``, as text."""
    box = browser.find_element(By.CSS_SELECTOR, f'input.action-select[value="{pk}"]')
    return str(box.find_element(By.XPATH, "./ancestor::tr").text)


def cell(browser: WebDriver, pk: object, field: str) -> str:
    """One column (``list_display`` name) of the changelist row of ``pk``, as text."""
    box = browser.find_element(By.CSS_SELECTOR, f'input.action-select[value="{pk}"]')
    return str(box.find_element(By.XPATH, f"./ancestor::tr/*[contains(@class, 'field-{field}')]").text)


def active_count(browser: WebDriver) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, ACTIVE_COUNT).get_attribute("data-active-emergencies"))


def socket_open(browser: WebDriver) -> bool:
    """The page's own script (admin-live.js) has its socket open (the test's watch: conftest.SOCKET_WATCH)."""
    return bool(
        browser.execute_script(
            "return (window.__gnSockets || []).some(function (s) { return s.readyState === WebSocket.OPEN; });"
        )
    )
