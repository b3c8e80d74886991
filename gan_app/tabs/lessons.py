"""The live lessons: "Paint like the artist" (1-D curves, the tutorials' GAN) and "GAN Lab" (2-D points).

They train in each student's browser (gan_app/lessons/*.js): the server only sends the page, so a class of
30 on a 2-core Space trains as fast as one student, and nobody waits in a queue. The engine is tested in
Node against gan_train.losses + torch on fixed inputs (tests/test_lessons.py); the page in Chromium
(tests/test_app_browser.py); its speed in benchmarks/lessons_browser.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import gradio as gr

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
SCRIPTS = ("engine.js", "targets.js", "game.js", "lesson.js")

CURVE_INTRO = """
## Paint like the artist

**G, the generator, is a novice painter**: from a few random numbers (its *ideas*) it paints a curve.
**D, the discriminator, is an art critic**: it says how likely it is that the famous artist painted a picture
(a probability between 0 and 1). They take turns, and each learns from the other:

1. **Train D (G frozen)**: D sees real paintings and G's fakes and learns to tell them apart: D(real) goes up, D(fake) goes down.
2. **Train G (D frozen)**: G changes its brush so that D rates its fakes as real. D's opinion is G's only teacher.
3. **Equilibrium**: when G paints like the artist, D cannot tell: it says **0.5** for real and fake alike.

Press **Train** and watch G's paintings move into the artist's band (green) while D's two probabilities meet at
0.5. **Step D only** and **Step G only** make one move of one player: the status line shows what that move changed.
The page claims an equilibrium only when it measures one: D near 0.5 over the last 50 rounds *and* G's paintings
inside the band. Training runs in your browser, so every student in a class gets full speed (teachers: the
light classroom pages *lessons/paint* and *lessons/lab* on this server hold just one lesson each).
"""

LAB_INTRO = """
## GAN Lab: watch the game in two dimensions

The artist draws points in the plane (choose a data set, or **draw your own** on the picture). The background is
**D's opinion** of every spot (green: "real", purple: "fake", white: unsure), the purple dots are **G's fakes**,
the thin grid is **G's latent space** warped by G into the plane, and the arrows show where **G's loss pushes each
fake**. Give each player its own layers, learning rate, optimizer and **steps per round**, pick a loss
(non-saturating, the tutorials' minimax, least squares, hinge, WGAN-GP, or relativistic with R1/R2 as in
R3GAN), and use **Slow motion** or the step buttons to follow single moves.

**Mode collapse** is the classic failure: G finds one spot that fools D and paints only there. Press
*Make it collapse*, then *The cure*, and compare how many of the 8 modes G reaches.
"""


# Classroom pages: one lesson alone, one small self-contained HTML document served from memory (no Gradio
# front end to boot, about 60 kB), so a whole class can open it at once on a 2-core server.
PAGES = {"paint": ("curve", "Paint like the artist", CURVE_INTRO), "lab": ("points", "GAN Lab (2-D)", LAB_INTRO)}


@cache
def classroom_page(name: str) -> bytes:
    import html
    import re

    kind, title, intro = PAGES[name]

    def markdown(text: str) -> str:  # the intros use only paragraphs, lists, **bold** and *italic*
        text = html.escape(text.strip())
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
        text = re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)
        blocks = []
        for block in text.split("\n\n"):
            if block.startswith("## "):
                blocks.append(f"<h2>{block[3:]}</h2>")
            elif re.match(r"\d+\. ", block):
                items = [re.sub(r"^\d+\. ", "", item) for item in re.split(r"\n(?=\d+\. )", block)]
                blocks.append("<ol>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>")
            else:
                blocks.append(f"<p>{block}</p>")
        return "\n".join(blocks)

    code = "\n".join((LESSONS / n).read_text(encoding="utf-8") for n in SCRIPTS)
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · gan-toolkit</title>
<style>body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 1250px; margin: 16px auto; padding: 0 12px; }}</style>
</head><body>
<p><a href="../">gan-toolkit</a> · classroom page: this lesson trains in your browser.</p>
{markdown(intro)}
<div id="lesson-{kind}"><div class="gan-lesson"></div></div>
<script>{code}
window.GanLesson.mount(document.querySelector("#lesson-{kind} .gan-lesson"), {{kind: "{kind}"}});</script>
</body></html>"""
    return document.encode("utf-8")


def add_classroom_routes(app) -> None:
    """/lessons/paint and /lessons/lab on the app's server (call after launch: ``demo.server_app``)."""
    from fastapi.responses import Response
    from starlette.routing import Route

    def serve(request):
        name = request.path_params["name"]
        if name not in PAGES:
            return Response(f"no lesson {name!r}: try /lessons/paint or /lessons/lab", status_code=404,
                            media_type="text/plain")
        return Response(classroom_page(name), media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=600"})

    # before Gradio's own routes, whose catch-alls would answer first
    app.router.routes.insert(0, Route("/lessons/{name}", serve, methods=["GET"]))


@cache
def script(kind: str) -> str:
    """The lesson's JavaScript: the engine and the page code, then the mount call."""
    code = "\n".join((LESSONS / name).read_text(encoding="utf-8") for name in SCRIPTS)
    return f"{code}\nwindow.GanLesson.mount(element.querySelector('.gan-lesson') || element, {{kind: '{kind}'}});"


def lesson(kind: str, elem_id: str) -> gr.HTML:
    return gr.HTML(value="", html_template='<div class="gan-lesson"></div>', js_on_load=script(kind),
                   elem_id=elem_id, padding=False)


def build() -> None:
    with gr.Tab("Paint like the artist", id="paint", elem_id="tab-paint"):
        gr.Markdown(CURVE_INTRO)
        lesson("curve", "lesson-curve")
    with gr.Tab("GAN Lab (2-D)", id="lab", elem_id="tab-lab"):
        gr.Markdown(LAB_INTRO)
        lesson("points", "lesson-points")
