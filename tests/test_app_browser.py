"""The page in a real browser (Chromium through Playwright): train and see the plot change, move the age slider
and see the face change, upload a picture and see its translation. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from app_fixtures import ARTIFACTS, PROJECT

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
if not __import__("os").path.exists(CHROMIUM):
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    # the system Chromium, offline (never `playwright install`)
    return {"executable_path": CHROMIUM, "headless": True,
            "args": ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]}


@pytest.fixture
def app_page(page, app_server):
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(30_000)
    page.goto(app_server.url)
    page.get_by_role("tab", name="Paint like the artist").wait_for()
    yield page
    assert not errors, errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def img_src(page, elem_id: str) -> str:
    locator = page.locator(f"#{elem_id} img")
    locator.first.wait_for()
    return locator.first.get_attribute("src")


def test_train_changes_the_plot(app_page):
    page = app_page
    status = page.locator("#curve-status")
    plot = page.locator("#curve-plot")
    before = plot.screenshot()
    steps = page.locator("#curve-steps input[type=number]")
    steps.fill("300")  # a short run: while it trains the page redraws constantly and Playwright waits for calm
    steps.press("Enter")
    page.locator("#curve-train").click()
    page.wait_for_function("() => /Done/.test(document.querySelector('#curve-status').innerText)", timeout=60_000)
    page.wait_for_timeout(500)  # the last redraw
    shot(page, "paint-trained")
    assert "Step 300" in status.inner_text()
    assert plot.screenshot() != before
    assert "D(real)" in status.inner_text()
    assert page.locator("#curve-plot canvas, #curve-plot svg").count() > 0


def test_age_slider_changes_the_face(app_page):
    page = app_page
    page.get_by_role("tab", name="Age").click()
    first = img_src(page, "age-face")  # painted on load
    number = page.locator("#age-slider input[type=number]")
    number.fill("75")
    number.press("Enter")
    page.wait_for_function(
        "(old) => { const i = document.querySelector('#age-face img'); return i && i.src !== old; }", arg=first)
    page.wait_for_function("() => /at 75 years/.test(document.querySelector('#age-info').innerText)")
    shot(page, "age-75")


def test_upload_shows_the_translation(app_page):
    page = app_page
    page.get_by_role("tab", name="CycleGAN").click()
    page.locator("#cycle-input input[type=file]").set_input_files(str(PROJECT / "assets/examples/ankle_boot-2.png"))
    page.locator("#cycle-direction").get_by_text("ankle boot → sneaker").click()
    page.locator("#cycle-go").click()
    page.locator("#cycle-fake img").wait_for()
    page.locator("#cycle-back img").wait_for()
    page.wait_for_function("() => /ankle boot → sneaker/.test(document.querySelector('#cycle-info').innerText)")
    shot(page, "cyclegan-upload")


def test_a_bad_upload_shows_a_message(app_page, tmp_path):
    page = app_page
    page.get_by_role("tab", name="CycleGAN").click()
    bad = tmp_path / "not-really.png"
    bad.write_bytes(b"hello, this is text")
    page.locator("#cycle-input input[type=file]").set_input_files(str(bad))
    page.locator("#cycle-go").click()
    toast = page.get_by_text("not an image this app can read")
    toast.first.wait_for()
    shot(page, "cyclegan-bad-upload")
    assert page.get_by_text("Traceback").count() == 0


def test_pix2pix_tab_paints_from_edges(app_page):
    page = app_page
    page.get_by_role("tab", name="Pix2Pix").click()
    page.locator("#p2p-input input[type=file]").set_input_files(str(PROJECT / "assets/examples/edges-1.png"))
    page.locator("#p2p-go").click()
    page.locator("#p2p-seen img").wait_for()
    page.locator("#p2p-out img").wait_for()
    shot(page, "pix2pix")


def test_stackgan_tab_shows_both_stages_side_by_side(app_page):
    page = app_page
    page.get_by_role("tab", name="StackGAN").click()
    page.locator("#stack-go").click()
    low, high = page.locator("#stack-low img"), page.locator("#stack-high img")
    low.wait_for()
    high.wait_for()
    a, b = low.bounding_box(), high.bounding_box()
    assert abs(a["y"] - b["y"]) < 5 and b["x"] > a["x"] + a["width"] / 2  # side by side, stage I on the left
    shot(page, "stackgan")


def test_vae_tab_shows_both_models_with_their_metrics(app_page):
    page = app_page
    page.get_by_role("tab", name="VAE vs GAN").click()
    page.locator("#vae-go").click()
    page.locator("#vae-left img").wait_for()
    page.locator("#vae-right img").wait_for()
    page.wait_for_function("() => /VAE.*:.*\\n?.*GAN/s.test(document.body.innerText) && /lower FID\\/KID is better/.test(document.body.innerText)")
    shot(page, "vae-vs-gan")
