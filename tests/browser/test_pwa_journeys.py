"""The app on the phone (issue 19) in a real Chromium: installable, a service worker that keeps
only the static shell and the offline page, and nothing typed without a connection is lost.

- The DevTools protocol finds the manifest without errors and no installability errors; the
  worker is registered, and a page asked for without a connection shows the offline page.
- After patient pages were opened with the worker in charge, its cache holds only static files
  and the offline page: no page with patient data.
- A measurement entered offline waits on the device, is sent once back online, and is stored
  once. A message sent offline waits in the composer (also across a reload) and goes once
  back online, with the same client key.
- axe-core finds nothing serious on the offline page, on a phone and on a desktop.

pytest-django's ``live_server`` (WSGI) serves these: the live websocket fails there, so the
composer sends by its form (htmx), which is the path a phone without a connection takes too.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from conversations.models import Message
from questionnaires.models import HomeMeasurement
from tests.browser.chromium import CHROMIUM_ARGS, chromium_path
from tests.browser.conftest import seed_matrix_defaults, serious_violations
from tests.browser.test_patient_journeys import dutch, log_in_with_totp
from tests.conversations.conftest import start

pytestmark = pytest.mark.django_db(transaction=True)

OFFLINE_TITLE = "Geen verbinding"
WAITING = "Nog niet verstuurd — wordt verstuurd zodra je weer online bent"
CACHED_PATHS = """async () => {
  const paths = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) { paths.push(new URL(request.url).pathname); }
  }
  return paths;
}"""


def worker_in_charge(page) -> None:
    """Waits until the service worker is active and controls ``page``."""
    state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
    assert state in ("activating", "activated")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


@pytest.fixture
def own_profile_page(chromium, live_server, tmp_path):
    """A page in a browser profile of its own on disk: Chromium offers no installing in the
    throwaway (incognito) contexts of ``page``. Phone-sized, as the app is used."""
    context = chromium.browser_type.launch_persistent_context(
        tmp_path / "profile",
        executable_path=chromium_path(),
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
    )
    yield context.pages[0] if context.pages else context.new_page()
    context.close()


def test_the_app_is_installable_and_shows_the_offline_page_without_a_connection(
    own_profile_page,
):
    page = own_profile_page
    page.goto("/accounts/login/")
    cdp = page.context.new_cdp_session(page)

    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    assert manifest["url"].endswith("/manifest.webmanifest")
    data = json.loads(manifest["data"])
    assert (data["name"], data["lang"], data["display"]) == ("Regiozorg", "nl", "standalone")
    assert (data["start_url"], data["scope"]) == ("/", "/")
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])

    worker_in_charge(page)
    assert [w.url for w in page.context.service_workers] == [
        page.url.split("/accounts/")[0] + "/sw.js"
    ]
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

    page.context.set_offline(True)
    page.goto("/")
    expect(page.get_by_role("heading", name=OFFLINE_TITLE)).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Je berichten en metingen worden verstuurd zodra je weer online bent."
    )
    page.context.set_offline(False)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_the_worker_keeps_only_static_files_and_the_offline_page(
    page, gp, shared_patient, totp_secret
):
    patient_url = f"/patienten/{shared_patient.pk}/"
    log_in_with_totp(page, gp.email, totp_secret[gp.pk], start=patient_url)
    worker_in_charge(page)
    # Now through the worker: the patient page, its measurements, the start page.
    for url in (patient_url, f"{patient_url}metingen/", "/", patient_url):
        page.goto(url)
        expect(page.locator("main")).to_be_visible()
    expect(page.locator("main")).to_contain_text(shared_patient.formal_name)

    paths = page.evaluate(CACHED_PATHS)
    assert "/offline/" in paths
    assert any(path.startswith("/static/") for path in paths)
    assert [p for p in paths if not p.startswith("/static/") and p != "/offline/"] == []


def test_a_measurement_entered_offline_is_sent_once_back_online(
    phone_page, nurse, shared_patient, totp_secret
):
    seed_matrix_defaults()  # district nursing reads and enters measurements by the matrix
    phone = phone_page
    enter_url = f"/patienten/{shared_patient.pk}/metingen/nieuw/"
    log_in_with_totp(phone, nurse.email, totp_secret[nurse.pk], start=enter_url)
    expect(phone).to_have_url(re.compile(re.escape(enter_url)))

    phone.context.set_offline(True)
    phone.get_by_label(dutch("Upper pressure (systolic)")).fill("142")
    phone.get_by_label(dutch("Lower pressure (diastolic)")).fill("84")
    phone.get_by_role("button", name=dutch("Save measurement")).click()
    waiting = phone.locator("#offline-queue")
    expect(waiting).to_contain_text(WAITING)
    expect(waiting).to_contain_text("142/84")
    assert HomeMeasurement.objects.filter(patient=shared_patient).count() == 0

    phone.context.set_offline(False)  # the browser says "online": the form goes, once
    expect(phone).to_have_url(re.compile(rf"/patienten/{shared_patient.pk}/metingen/$"))
    expect(phone.locator("#offline-queue")).to_contain_text("Verstuurd: ")
    expect(phone.locator("#offline-queue")).not_to_contain_text(WAITING)
    phone.reload()
    phone.goto(enter_url)
    phone.goto(f"/patienten/{shared_patient.pk}/metingen/")
    [reading] = HomeMeasurement.objects.filter(patient=shared_patient)
    assert (reading.value, reading.value2) == (142, 84)
    assert phone.evaluate("Object.keys(localStorage)") == []  # nothing left on the phone


def test_a_message_sent_offline_survives_a_reload_and_goes_once_back_online(
    own_profile_page, gp, nurse, shared_patient, totp_secret
):
    page = own_profile_page
    conversation = start(gp, nurse, patient=shared_patient, subject="Wond linkervoet")
    url = f"/gesprekken/{conversation.pk}/"
    text = "Morgen om tien uur kom ik langs voor de wond."
    log_in_with_totp(page, gp.email, totp_secret[gp.pk], start=url)
    worker_in_charge(page)
    composer = page.locator("#composer")
    key = composer.locator("input[name=client_key]").input_value()

    page.context.set_offline(True)
    composer.get_by_role("textbox").fill(text)
    composer.get_by_role("button", name=dutch("Send")).click()
    expect(composer).to_contain_text(WAITING)
    draft = json.loads(
        page.evaluate(f"localStorage.getItem('regiozorg-offline:conversation-{conversation.pk}')")
    )
    assert (draft["body"], draft["client_key"], draft["failed"]) == (text, key, True)
    page.reload()  # still offline: the worker shows the offline page
    expect(page.get_by_role("heading", name=OFFLINE_TITLE)).to_be_visible()
    assert not Message.objects.filter(body=text).exists()

    page.context.set_offline(False)
    page.goto(url)  # the text comes back and goes, with the key it had
    expect(page.locator("#messages-list")).to_contain_text(text)
    expect(page.locator("#composer textarea")).to_have_value("")
    [message] = Message.objects.filter(conversation=conversation, body=text)
    assert message.client_key == uuid.UUID(key)
    page.reload()
    expect(page.locator("#composer textarea")).to_have_value("")
    assert Message.objects.filter(conversation=conversation, body=text).count() == 1
    assert page.evaluate("Object.keys(localStorage)") == []


def test_a_typed_message_survives_a_reload(page, gp, nurse, shared_patient, totp_secret):
    conversation = start(gp, nurse, patient=shared_patient, subject="Wond linkervoet")
    url = f"/gesprekken/{conversation.pk}/"
    log_in_with_totp(page, gp.email, totp_secret[gp.pk], start=url)
    page.locator("#composer textarea").fill("Half getypt")
    page.reload()
    expect(page.locator("#composer textarea")).to_have_value("Half getypt")
    expect(page.locator("#composer")).not_to_contain_text(WAITING)  # not sent: not sent now
    assert not Message.objects.filter(body="Half getypt").exists()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_offline_page_is_accessible(chromium, live_server, screen):
    phone = screen == "phone"
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
        is_mobile=phone,
        has_touch=phone,
    )
    page = context.new_page()
    try:
        page.goto("/offline/")
        expect(page.get_by_role("heading", name=OFFLINE_TITLE)).to_be_visible()
        assert serious_violations(page) == []
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= (390 if phone else 1280)
    finally:
        context.close()
