"""Reading a tag's QR with the phone camera, in a real Chromium whose camera is a video of a QR label
(tests/browser/fakecam.py). Debian's Chromium on Linux has no built-in BarcodeDetector, so these runs read
the QR with the barcode-detector ponyfill's WebAssembly, which must come from our own static files."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.fakecam import make_qr_y4m
from tests.builders.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, TARGETS_TOO_SMALL, screenshot

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.browser.scanner_urls"),
]

TAG_URL = "https://lockstep.example/t/0123456789ABCDEF"
# A name for the live server that is not localhost: plain HTTP there is not a secure context, like a phone
# reaching Lockstep over http:// on the site's network.
PLAIN_HTTP_HOST = "lockstep.test"
ANY_WASM = "**/*.wasm"


@pytest.fixture(scope="module")
def camera_browser(browser, tmp_path_factory):
    """Chromium with the QR video as its only camera. Without --use-fake-ui-for-media-stream, which would
    allow every page the camera: here a page gets it only when its context was granted "camera"."""
    video = make_qr_y4m(TAG_URL, tmp_path_factory.mktemp("fakecam") / "tag.y4m")
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            f"--host-resolver-rules=MAP {PLAIN_HTTP_HOST} 127.0.0.1",
        ],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def phone_with_camera(camera_browser):
    context = camera_browser.new_context(**PHONE, permissions=["camera"])
    yield context
    context.close()


@pytest.fixture
def phone_camera_blocked(camera_browser):
    context = camera_browser.new_context(**PHONE)
    yield context
    context.close()


def record_requests(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def type_a_code_and_look_it_up(page, code: str) -> None:
    page.get_by_label("Or type the code under the QR").fill(code)
    page.get_by_role("button", name="Look up").click()
    page.wait_for_load_state()
    assert page.locator("#result").inner_text() == code


def test_tess_scans_a_tag_and_the_form_is_sent_with_what_the_qr_says(live_server, phone_with_camera):
    page = phone_with_camera.new_page()
    requests = record_requests(page)
    wasm_responses = []
    page.on("response", lambda r: wasm_responses.append(r) if r.url.endswith(".wasm") else None)
    # Hold the QR reader's download so the running camera can be photographed before it reads the label.
    held = []
    page.route(ANY_WASM, lambda route: held.append(route))

    page.goto(f"{live_server.url}/scanner-test/")
    scan = page.get_by_role("button", name="Scan with camera")
    assert scan.is_visible()
    assert page.evaluate(TARGETS_TOO_SMALL) == []
    with page.expect_request(
        lambda request: request.url.endswith(".wasm")
    ):  # the download begins with the tap
        scan.click()

    status = page.get_by_role("status")
    status.filter(has_text="Point the camera at the QR label").wait_for()
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.3")
    assert page.get_by_role("button", name="Stop camera").is_visible()
    assert page.evaluate(TARGETS_TOO_SMALL) == []
    screenshot(page, "scanner-camera-running-phone-360")

    assert len(held) == 1  # the route handler ran while Playwright waited
    with page.expect_navigation():
        held[0].continue_()
    page.wait_for_load_state()

    assert page.locator("#result").inner_text() == TAG_URL
    assert urlsplit(page.url).path == "/scanner-test/"
    screenshot(page, "scanner-read-and-submitted-phone-360")

    server = urlsplit(live_server.url).netloc
    [wasm] = wasm_responses
    assert urlsplit(wasm.url).netloc == server
    assert urlsplit(wasm.url).path == "/static/vendor/zxing-wasm/zxing_reader.wasm"
    assert wasm.status == 200
    assert wasm.header_value("content-type") == "application/wasm"
    assert [url for url in requests if urlsplit(url).netloc != server] == []  # no CDN, nothing elsewhere


def test_tess_can_stop_the_camera_and_type_the_code(live_server, phone_with_camera):
    page = phone_with_camera.new_page()
    page.route(ANY_WASM, lambda route: None)  # never answered: the camera runs without reading
    page.goto(f"{live_server.url}/scanner-test/")
    page.get_by_role("button", name="Scan with camera").click()
    page.get_by_role("status").filter(has_text="Point the camera at the QR label").wait_for()

    page.get_by_role("button", name="Stop camera").click()
    assert page.get_by_role("status").inner_text() == "Camera stopped."
    assert page.locator("video").is_hidden()
    assert page.get_by_role("button", name="Stop camera").is_hidden()
    assert page.get_by_role("button", name="Scan with camera").is_visible()
    assert page.evaluate("document.querySelector('video').srcObject") is None

    type_a_code_and_look_it_up(page, "ABCD-EFGH-K")


def test_a_blocked_camera_is_explained_in_words_and_the_typed_form_still_works(
    live_server, phone_camera_blocked
):
    page = phone_camera_blocked.new_page()
    page.goto(f"{live_server.url}/scanner-test/")
    page.get_by_role("button", name="Scan with camera").click()

    status = page.get_by_role("status")
    status.filter(has_text="The camera is blocked for this page").wait_for()
    assert "type the code printed under the QR" in status.inner_text()
    assert page.locator("video").is_hidden()
    assert page.get_by_role("button", name="Stop camera").is_hidden()
    screenshot(page, "scanner-camera-blocked-phone-360")

    type_a_code_and_look_it_up(page, "ABCD-EFGH-K")


def test_over_plain_http_the_page_says_the_camera_needs_https(live_server, phone_with_camera, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, PLAIN_HTTP_HOST]
    port = urlsplit(live_server.url).port
    page = phone_with_camera.new_page()
    page.goto(f"http://{PLAIN_HTTP_HOST}:{port}/scanner-test/")

    assert page.evaluate("window.isSecureContext") is False
    assert page.get_by_role("status").inner_text() == (
        "The camera needs HTTPS. Type the code printed under the QR instead."
    )
    assert page.get_by_role("button", name="Scan with camera").is_hidden()
    screenshot(page, "scanner-needs-https-phone-360")

    type_a_code_and_look_it_up(page, "ABCD-EFGH-K")


def test_without_javascript_the_page_is_just_the_typed_form(live_server, camera_browser):
    context = camera_browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/scanner-test/")
    assert page.get_by_role("button", name="Scan with camera").is_hidden()
    type_a_code_and_look_it_up(page, "ABCD-EFGH-K")
    context.close()


def test_a_browser_that_reads_qr_codes_itself_never_downloads_the_webassembly(live_server, phone_with_camera):
    # Chrome on Android and Safari have a built-in BarcodeDetector; Debian's Chromium does not, so this one
    # is a stand-in that reads the label's text once the camera is running.
    phone_with_camera.add_init_script(f"""
        window.BarcodeDetector = class {{
            static async getSupportedFormats() {{ return ["qr_code", "ean_13"]; }}
            constructor(options) {{ sessionStorage.setItem("asked", options.formats.join()); }}
            async detect(video) {{ return [{{ rawValue: {TAG_URL!r}, format: "qr_code" }}]; }}
        }};
    """)
    page = phone_with_camera.new_page()
    requests = record_requests(page)
    page.goto(f"{live_server.url}/scanner-test/")
    with page.expect_navigation():
        page.get_by_role("button", name="Scan with camera").click()
    page.wait_for_load_state()

    assert page.locator("#result").inner_text() == TAG_URL
    assert page.evaluate("sessionStorage.getItem('asked')") == "qr_code"
    assert [url for url in requests if url.endswith(".wasm")] == []


def test_a_reader_that_cannot_load_is_explained_and_the_next_tap_tries_again(live_server, phone_with_camera):
    page = phone_with_camera.new_page()
    page.route(ANY_WASM, lambda route: route.abort("connectionfailed"))  # the site's network dropped
    page.goto(f"{live_server.url}/scanner-test/")
    page.get_by_role("button", name="Scan with camera").click()

    status = page.get_by_role("status")
    status.filter(has_text="The QR reader could not load").wait_for()
    assert "type the code printed under the QR" in status.inner_text()
    assert page.locator("video").is_hidden()
    assert page.evaluate("document.querySelector('video').srcObject") is None  # the camera is off

    page.unroute(ANY_WASM)  # the network is back
    with page.expect_navigation():
        page.get_by_role("button", name="Scan with camera").click()
    page.wait_for_load_state()
    assert page.locator("#result").inner_text() == TAG_URL
