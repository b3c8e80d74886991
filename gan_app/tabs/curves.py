"""Tab 1, "Paint like the artist": the tutorials' GAN trained live, and the ring of 8 Gaussians.

API (gradio_client), all streaming or one-shot with the same outputs
``(curve or scatter plot, D-probability plot, loss plot, status markdown, numbers dict)``::

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")
    job = client.submit("sine", 300, 1e-4, 1e-4, 64, 5, "minimax", api_name="/train_curve")
    for update in job:                       # several updates a second while it trains
        print(update[-1])                    # {"step": ..., "d_real": ..., "d_fake": ..., "d_loss", "g_loss"}

``/train_curve(target, steps, lr_g, lr_d, batch_size, n_ideas, loss)`` (target "sine" or "quadratic"),
``/step_d`` and ``/step_g`` (same inputs, one update of one side), ``/reset_curve``;
``/train_ring(steps, loss, lr_g, lr_d, batch_size, n_ideas)`` for the ring, where the numbers also
give ``modes_covered`` out of ``modes_total``. Each API client (each browser tab) trains its own GAN.
"""

from __future__ import annotations

import gradio as gr

from ..errors import friendly
from ..live import LOSSES, MAX_STEPS, Session, Settings

INTRO = """
## Paint like the artist

**G, the generator, is a novice painter**: from a few random numbers (its *ideas*) it paints a curve.
**D, the discriminator, is an art critic**: it looks at a painting and says how likely it is that the famous
artist painted it (a probability between 0 and 1). They take turns, and each learns from the other:

1. **Train D (G frozen)** — D sees real paintings and G's fakes and learns to tell them apart:
   D(real) goes up, D(fake) goes down. 固定生成网络，训练判别网络。
2. **Train G (D frozen)** — G changes its brush so that D rates its fakes as real; D's opinion is G's only
   teacher. 固定判别网络，训练生成网络：以假乱真。
3. **Equilibrium** — when G paints like the artist, D cannot tell: it says **0.5** for real and fake alike.
   判别器对真假图片的概率输出都接近 0.5。

Press **Train** and watch G's paintings move into the artist's band, and D's two probabilities meet at 0.5.
Or press **Step D only** / **Step G only** to make one move of one player and see what it changes.
"""

PHASES = """
**What each button does**

- **Step D only**: one update of the critic on a batch of real and fake paintings. D(real) rises and D(fake)
  falls: the critic got better, the painter did not change.
- **Step G only**: one update of the painter through the frozen critic. Only D(fake) can change (it rises: the
  fakes fool the critic more); the critic's weights stay as they were.
- **Train**: D then G, again and again (one *step* = one D update and one G update).
- The losses are what each player minimises. With the tutorials' *minimax* loss, D's loss at equilibrium is
  2·ln 2 ≈ 1.39 and G's is −ln 2 ≈ −0.69.
- *Learning rates*: how big a brush stroke each player makes per step. If D learns much faster than G, D wins
  and G's gradients vanish; if G is much faster, it chases a critic that has not caught up.
- For the *hinge*, *lsgan* and *wgan-gp* losses D gives a score, not a probability: the plot shows the
  sigmoid of the score, which need not settle at 0.5.
"""

RING = """
## Mode collapse: the ring of 8 Gaussians

Here the "artist" draws 2-D points from 8 small clusters on a circle. A painter who finds one cluster that
fools the critic may paint only there: that is **mode collapse** — every idea gives nearly the same output,
and nothing in the loss rewards variety. Train and watch the orange points: do they cover all 8 clusters,
or pile up on a few and hop between them? The status line counts the clusters G reaches.

Try the losses: the tutorials' *minimax*, the *nonsaturating* trick (G maximises log D(G(z))), *lsgan*
(least squares), *hinge*, and *wgan-gp* (a Wasserstein critic with gradient penalty, 5 critic steps per G
step; it prefers small learning rates such as 1e-4). Reset between tries to start from the same painter.
"""

CURVE_COLORS = {"artist: upper bound": "#9ca3af", "artist: lower bound": "#9ca3af", "artist: a painting": "#4b5563",
                "G: painting 1": "#2563eb", "G: painting 2": "#ea580c", "G: painting 3": "#16a34a"}
PROB_COLORS = {"D(real)": "#16a34a", "D(fake)": "#dc2626", "0.5 (equilibrium)": "#9ca3af"}
LOSS_COLORS = {"D loss": "#7c3aed", "G loss": "#2563eb"}
# Live training shares one queue group: at most 4 GANs train at once, the rest wait their turn.
LIVE = {"concurrency_id": "live", "concurrency_limit": 4, "show_progress": "hidden"}
RING_COLORS = {"real (8 modes)": "#9ca3af", "G (generated)": "#ea580c"}


def _status(live, session: Session, phase: str = "") -> str:
    n = live.numbers()
    parts = [f"**Step {n['step']}**", f"D(real) = {n['d_real']:.3f}", f"D(fake) = {n['d_fake']:.3f}"]
    if n.get("d_loss") is not None:
        parts.append(f"D loss {n['d_loss']:.3f}")
    if n.get("g_loss") is not None:
        parts.append(f"G loss {n['g_loss']:.3f}")
    if "modes_covered" in n:
        parts.append(f"**G reaches {n['modes_covered']} of {n['modes_total']} modes** "
                     f"({n['near_a_mode']:.0%} of its points near one)")
    text = " · ".join(parts)
    if phase:
        text = f"{phase} — {text}"
    if session.note:
        text += f"  \n_{session.note}_"
        session.note = ""
    gap = abs(n["d_real"] - 0.5) + abs(n["d_fake"] - 0.5)
    if n["step"] > 200 and gap < 0.1 and live.settings.loss in ("minimax", "nonsaturating"):
        text += "  \nD can hardly tell real from fake: close to the 0.5 equilibrium."
    return text, n


def _outputs(live, session, phase=""):
    status, numbers = _status(live, session, phase)
    main = live.ring_frame() if live.is_ring else live.curve_frame()
    return main, live.prob_frame(), live.loss_frame(), status, numbers, session


def _session(value) -> Session:
    return value if isinstance(value, Session) else Session()


@friendly("training the curve GAN")
def train_curve(target="quadratic", steps=1500, lr_g=1e-4, lr_d=1e-4, batch_size=64, n_ideas=5, loss="minimax", session=None):
    """Train the curve GAN live; yields (curves, D probabilities, losses, status, numbers) several times a second."""
    session = _session(session)
    settings = Settings.parse(target, loss, lr_g, lr_d, batch_size, n_ideas)
    for live, finished in session.run(settings, steps):
        yield _outputs(live, session, "Stopped" if finished and session.stop_requested else
                       "Done" if finished else "Training")


@friendly("training the ring GAN")
def train_ring(steps=2000, loss="minimax", lr_g=1e-3, lr_d=1e-3, batch_size=128, n_ideas=5, session=None):
    """Train a GAN on the ring of 8 Gaussians; yields (scatter, D probabilities, losses, status, numbers)."""
    session = _session(session)
    settings = Settings.parse("ring8", loss, lr_g, lr_d, batch_size, n_ideas)
    for live, finished in session.run(settings, steps):
        yield _outputs(live, session, "Stopped" if finished and session.stop_requested else
                       "Done" if finished else "Training")


def _stepper(phase: str, label: str):
    @friendly(f"stepping {phase.upper()}")
    def step(target="quadratic", steps=1, lr_g=1e-4, lr_d=1e-4, batch_size=64, n_ideas=5, loss="minimax", session=None):
        session = _session(session)
        settings = Settings.parse(target, loss, lr_g, lr_d, batch_size, n_ideas)
        live = session.prepare(settings)
        before = live.probabilities()
        session.one_step(settings, phase)
        after = live.probabilities()
        change = (f"{label}: D(real) {before[0]:.3f} → {after[0]:.3f}, D(fake) {before[1]:.3f} → {after[1]:.3f}")
        return _outputs(live, session, change)

    step.__name__ = f"step_{phase}"
    return step


def _ring_stepper(phase: str, label: str):
    inner = _stepper(phase, label)

    def step(steps=1, loss="minimax", lr_g=1e-3, lr_d=1e-3, batch_size=128, n_ideas=5, session=None):
        return inner("ring8", steps, lr_g, lr_d, batch_size, n_ideas, loss, session)

    step.__name__ = f"ring_step_{phase}"
    return step


def _stop(session):
    if isinstance(session, Session):
        session.stop_requested = True
    return session


@friendly("resetting")
def reset_curve(target="quadratic", steps=1, lr_g=1e-4, lr_d=1e-4, batch_size=64, n_ideas=5, loss="minimax", session=None):
    """Forget the trained GAN and show a new, untrained painter and critic."""
    session = _session(session)
    session.reset()
    live = session.prepare(Settings.parse(target, loss, lr_g, lr_d, batch_size, n_ideas))
    return _outputs(live, session, "Reset: a new, untrained painter and critic")


def reset_ring(steps=1, loss="minimax", lr_g=1e-3, lr_d=1e-3, batch_size=128, n_ideas=5, session=None):
    """Forget the trained ring GAN and show a new, untrained one."""
    return reset_curve("ring8", steps, lr_g, lr_d, batch_size, n_ideas, loss, session)


def _plots(main_kind: str):
    if main_kind == "curve":
        main = gr.LinePlot(x="x", y="y", color="series", color_map=CURVE_COLORS, y_lim=[-2.2, 3.2],
                           x_title="x", y_title="painting", height=360, label="The artist's band (grey) and G's paintings", elem_id="curve-plot")
    else:
        main = gr.ScatterPlot(x="x", y="y", color="who", color_map=RING_COLORS, x_lim=[-3, 3], y_lim=[-3, 3],
                              height=420, label="Real points (grey) and G's points (orange)", elem_id="ring-plot")
    with gr.Row():
        prob = gr.LinePlot(x="step", y="probability", color="series", color_map=PROB_COLORS, y_lim=[0, 1],
                           height=260, label="D's probability: real (green) and fake (red) paintings",
                           elem_id=f"{main_kind}-prob-plot")
        loss = gr.LinePlot(x="step", y="loss", color="series", color_map=LOSS_COLORS, height=260,
                           label="Losses", elem_id=f"{main_kind}-loss-plot")
    return main, prob, loss


def _curves_section():
    session = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            target = gr.Radio([("quadratic a·x², a ~ U[1, 2]", "quadratic"), ("sine curves", "sine")], value="quadratic",
                              label="What the artist paints")
            steps = gr.Slider(50, MAX_STEPS, value=2000, step=50, label="Steps per press of Train",
                              elem_id="curve-steps")
            with gr.Row():
                lr_g = gr.Number(1e-4, label="G learning rate", step=1e-4, min_width=100)
                lr_d = gr.Number(1e-4, label="D learning rate", step=1e-4, min_width=100)
            batch = gr.Slider(8, 256, value=64, step=8, label="Batch size (paintings per step)")
            n_ideas = gr.Slider(1, 20, value=5, step=1, label="Noise size: the painter's ideas (n_ideas)")
            loss = gr.Dropdown(list(LOSSES), value="minimax", label="Loss")
            with gr.Row():
                train = gr.Button("Train", variant="primary", elem_id="curve-train")
                stop = gr.Button("Stop", variant="stop", elem_id="curve-stop")
            with gr.Row():
                step_d = gr.Button("Step D only", elem_id="curve-step-d")
                step_g = gr.Button("Step G only", elem_id="curve-step-g")
                reset = gr.Button("Reset", elem_id="curve-reset")
        with gr.Column(scale=2):
            status = gr.Markdown("Press **Train** to start. Changing the target, loss or noise size starts a new "
                                 "painter and critic; learning rates and batch size change on the fly.",
                                 label="status", elem_id="curve-status")
            main, prob, loss_plot = _plots("curve")
    with gr.Accordion("What is happening at each step?", open=False):
        gr.Markdown(PHASES)
    with gr.Accordion("Latest numbers (what the API returns)", open=False):
        numbers = gr.JSON(label="numbers", elem_id="curve-numbers")

    inputs = [target, steps, lr_g, lr_d, batch, n_ideas, loss, session]
    outputs = [main, prob, loss_plot, status, numbers, session]
    train.click(train_curve, inputs, outputs, api_name="train_curve", **LIVE)
    stop.click(_stop, session, session, api_name="stop_curve", queue=False)
    step_d.click(_stepper("d", "After one D step"), inputs, outputs, api_name="step_d", **LIVE)
    step_g.click(_stepper("g", "After one G step"), inputs, outputs, api_name="step_g", **LIVE)
    reset.click(reset_curve, inputs, outputs, api_name="reset_curve", **LIVE)


def _ring_section():
    session = gr.State(None)
    gr.Markdown(RING)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            loss = gr.Dropdown(list(LOSSES), value="minimax", label="Loss")
            steps = gr.Slider(50, MAX_STEPS, value=2000, step=50, label="Steps per press of Train")
            with gr.Row():
                lr_g = gr.Number(1e-3, label="G learning rate", step=1e-4, min_width=100)
                lr_d = gr.Number(1e-3, label="D learning rate", step=1e-4, min_width=100)
            batch = gr.Slider(8, 512, value=128, step=8, label="Batch size")
            n_ideas = gr.Slider(1, 20, value=5, step=1, label="Noise size (n_ideas)")
            with gr.Row():
                train = gr.Button("Train", variant="primary", elem_id="ring-train")
                stop = gr.Button("Stop", variant="stop", elem_id="ring-stop")
            with gr.Row():
                step_d = gr.Button("Step D only")
                step_g = gr.Button("Step G only")
                reset = gr.Button("Reset", elem_id="ring-reset")
        with gr.Column(scale=2):
            status = gr.Markdown("Press **Train** to start.", label="status", elem_id="ring-status")
            main, prob, loss_plot = _plots("ring")
    with gr.Accordion("Latest numbers (what the API returns)", open=False):
        numbers = gr.JSON(label="numbers", elem_id="ring-numbers")

    inputs = [steps, loss, lr_g, lr_d, batch, n_ideas, session]
    outputs = [main, prob, loss_plot, status, numbers, session]
    train.click(train_ring, inputs, outputs, api_name="train_ring", **LIVE)
    stop.click(_stop, session, session, api_name="stop_ring", queue=False)
    step_d.click(_ring_stepper("d", "After one D step"), inputs, outputs, api_name="ring_step_d", **LIVE)
    step_g.click(_ring_stepper("g", "After one G step"), inputs, outputs, api_name="ring_step_g", **LIVE)
    reset.click(reset_ring, inputs, outputs, api_name="reset_ring", **LIVE)


def build() -> None:
    with gr.Tab("Paint like the artist", id="paint", elem_id="tab-paint"):
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Curves (the tutorial's example)", id="curves"):
                _curves_section()
            with gr.Tab("Ring of 8 Gaussians: mode collapse", id="ring", elem_id="tab-ring"):
                _ring_section()
