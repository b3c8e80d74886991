"""The page in a real browser (Chromium through Playwright): the live lessons train and draw, the mode-collapse
preset collapses and its cure covers the ring; move the age slider and see the face change, upload a picture and
see its translation. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re

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


# -- the live lessons (they train in the page) ------------------------------------------------------
SERIES = {"prob": ["0.5 (equilibrium)", "D(real)", "D(fake)"], "loss": ["D loss", "G loss"], "quality": ["inside band"]}
SERIES_COLOURS = {"prob": ["#dc2626"], "loss": ["#7c3aed", "#2563eb"], "quality": ["#ea580c"]}
COUNT_PIXELS = """([sel, hex]) => {
  const c = document.querySelector(sel), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const t = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - t[0]) + Math.abs(d[i + 1] - t[1]) + Math.abs(d[i + 2] - t[2]) < 60) n++;
  return n;
}"""


def lesson(page, kind):
    return page.locator(f"#lesson-{kind}")


def lesson_round(page, kind) -> int:
    return page.evaluate(f"() => window.__ganLessons['{kind}'].game.step")


@pytest.mark.parametrize("first", ["play", "d", "g"])
def test_every_plot_is_drawn_from_the_first_update_whichever_button_comes_first(app_page, first):
    page = app_page
    box = lesson(page, "curve")
    box.locator("[data-act=play]").wait_for()
    box.locator(f"[data-act={first}]").click()
    page.wait_for_function("() => window.__ganLessons.curve.game.step >= 1")
    if first == "play":
        page.wait_for_timeout(1500)
        box.locator("[data-act=play]").click()  # pause
    points = page.evaluate("() => window.__ganLessons.curve.game.history.step.length")  # round 0 .. now (thinned)
    assert points >= 2
    for chart, names in SERIES.items():
        drawn = dict(json.loads(box.locator(f"[data-role={chart}]").get_attribute("data-drawn")))
        assert set(drawn) == set(names), drawn  # full legends: every series, by its whole name
        assert all(drawn[name] == points for name in names), (chart, drawn, points)
        for colour in SERIES_COLOURS[chart]:  # and the lines are on the canvas (legend swatch: 30 px)
            count = page.evaluate(COUNT_PIXELS, [f"#lesson-curve [data-role={chart}]", colour])
            assert count > 40, f"{chart}: colour {colour} missing after pressing {first} first ({count} px)"
    shot(page, f"paint-first-{first}")


def test_step_d_and_step_g_say_what_they_changed(app_page):
    page = app_page
    box = lesson(page, "curve")
    box.locator("[data-act=d]").click()
    note = box.locator("[data-role=note]")
    page.wait_for_function("() => /Step D only: D's opinion of real data [0-9.]+ → [0-9.]+/.test("
                           "document.querySelector('#lesson-curve [data-role=note]').innerText)")
    assert "the painter did not" in note.inner_text()
    box.locator("[data-act=g]").click()
    page.wait_for_function("() => /Step G only/.test(document.querySelector('#lesson-curve [data-role=note]').innerText)")
    assert "The painter moved its paintings" in note.inner_text()
    assert lesson_round(page, "curve") == 2


def test_a_run_shows_its_progress_and_trains(app_page):
    page = app_page
    box = lesson(page, "curve")
    box.locator("[data-opt=runN]").fill("400")
    box.locator("[data-act=run]").click()
    page.wait_for_function("() => document.querySelector('#lesson-curve [data-role=progress]').value === 1", timeout=60_000)
    assert "Finished 400 rounds" in box.locator("[data-role=note]").inner_text()
    assert lesson_round(page, "curve") == 400
    assert "inside the artist's band" in box.locator("[data-role=measures]").inner_text()


def test_the_page_text_is_in_one_script_its_fonts_render(app_page):
    text = app_page.evaluate("() => document.body.innerText")
    assert not re.search(r"[\u3000-\u9fff]", text)


def test_gan_lab_is_square_and_draws_your_own_data(app_page):
    page = app_page
    page.get_by_role("tab", name="GAN Lab (2-D)").click()
    canvas = lesson(page, "points").locator("[data-role=main]")
    canvas.wait_for()
    b = canvas.bounding_box()
    assert abs(b["width"] - b["height"]) < 1
    for dx, dy in [(0.3, 0.3), (0.7, 0.3), (0.5, 0.7), (0.35, 0.65)]:
        canvas.click(position={"x": b["width"] * dx, "y": b["height"] * dy})
    page.wait_for_function("() => window.__ganLessons.points.game && window.__ganLessons.points.game.target.drawn")
    assert lesson(page, "points").locator("[data-opt=target]").input_value() == "draw"
    lesson(page, "points").locator("[data-act=round]").click()
    page.wait_for_function("() => window.__ganLessons.points.game.step === 1")
    shot(page, "gan-lab-drawn")


def test_mode_collapse_collapses_and_the_cure_covers_the_ring(app_page):
    page = app_page
    page.get_by_role("tab", name="GAN Lab (2-D)").click()
    box = lesson(page, "points")
    measures = box.locator("[data-role=measures]")
    done = "() => window.__ganLessons.points.game.step >= 1500"
    box.locator("[data-act=collapse]").click()
    page.wait_for_function(done, timeout=240_000)
    page.wait_for_timeout(300)
    collapsed = int(re.search(r"G reaches (\d) of 8 modes", measures.inner_text()).group(1))
    shot(page, "gan-lab-collapse")
    box.locator("[data-act=cure]").click()
    page.wait_for_function("() => window.__ganLessons.points.game.step < 1500")
    page.wait_for_function(done, timeout=240_000)
    page.wait_for_timeout(300)
    cured = int(re.search(r"G reaches (\d) of 8 modes", measures.inner_text()).group(1))
    shot(page, "gan-lab-cure")
    assert collapsed <= 2 and cured >= 7, (collapsed, cured)
    assert "Mode collapse" in box.locator("[data-role=preset]").inner_text() or "cure" in box.locator("[data-role=preset]").inner_text()


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


@pytest.mark.parametrize("name,kind", [("paint", "curve"), ("lab", "points")])
def test_the_classroom_page_holds_one_lesson_that_trains(page, app_server, name, kind):
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    response = page.goto(app_server.url + f"lessons/{name}")
    assert response.status == 200 and len(response.body()) < 120_000  # one small document, no front end to boot
    page.locator(f"#lesson-{kind} [data-act=play]").click()
    page.wait_for_function(f"() => window.__ganLessons['{kind}'].game.step > 50")
    shot(page, f"classroom-{name}")
    assert not errors, errors


def test_pause_stops_training_at_once(app_page):
    """A student who pauses (or closes the tab) stops their own training: nothing runs on the server."""
    page = app_page
    box = lesson(page, "curve")
    box.locator("[data-act=play]").click()
    page.wait_for_function("() => window.__ganLessons.curve.game.step > 100")
    box.locator("[data-act=play]").click()
    stopped = lesson_round(page, "curve")
    page.wait_for_timeout(500)
    assert lesson_round(page, "curve") == stopped
    assert box.locator("[data-act=play]").inner_text() == "Train"
