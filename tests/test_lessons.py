"""The live lessons train in the browser (gan_app/lessons/engine.js). Run in Node on fixed inputs, the
engine must give gan_train's numbers: every loss, its penalties, the gradients and Adam's update."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from torch import nn

from gan_train.losses import LOSSES, AdversarialLoss, gradient_penalty, r1_penalty

ENGINE = Path(__file__).resolve().parent.parent / "gan_app" / "lessons" / "engine.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (make test installs it)")

RUNNER = """
const E = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const T = E.T, rnd = E.rng(1);
const mat = (rows) => T.of(rows.length, rows[0].length, rows.flat());
const G = new E.MLP(input.g_sizes, input.activation, rnd), D = new E.MLP(input.d_sizes, input.activation, rnd);
G.load(input.g_weights); D.load(input.d_weights);
const real = mat(input.real), z = mat(input.z);
const opts = {loss: input.loss, gpWeight: input.gp_weight, r1Weight: input.r1_weight, r2Weight: input.r2_weight,
              alpha: input.alpha};
const out = {};
const fake = E.noGrad(() => G.forward(z));
const d = E.dObjective(D, real, fake, opts, rnd);
out.d_loss = d.loss.item();
out.d_grads = E.grad(d.loss, D.params()).map((g) => g.toArray());
const g = E.gObjective(G, D, z, real, opts);
out.g_loss = g.loss.item();
out.g_grads = E.grad(g.loss, G.params()).map((t) => t.toArray());
// one Adam round as the lessons run it: D step, then G step on fresh fakes
const optD = new E.Adam(D.params(), input.lr), optG = new E.Adam(G.params(), input.lr);
optD.step(E.grad(E.dObjective(D, real, E.noGrad(() => G.forward(z)), opts, rnd).loss, D.params()));
const g2 = E.grad(E.gObjective(G, D, z, real, opts).loss, G.params());
out.g_grads_after_d = g2.map((t) => t.toArray());
optG.step(g2);
out.d_after = D.params().map((p) => p.toArray());
out.g_after = G.params().map((p) => p.toArray());
process.stdout.write(JSON.stringify(out));
"""


def mlp(sizes, activation):
    act = {"relu": nn.ReLU, "leaky": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh}[activation]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(act())
    return nn.Sequential(*layers).double()


def weights(net):
    return [[m.weight.tolist(), m.bias.tolist()] for m in net if isinstance(m, nn.Linear)]


def flat_grads(net):  # the engine stores W as (in x out): transpose torch's (out x in)
    out = []
    for m in net:
        if isinstance(m, nn.Linear):
            out += [m.weight.grad.T.flatten().tolist(), m.bias.grad.tolist()]
    return out


def flat_params(net):
    out = []
    for m in net:
        if isinstance(m, nn.Linear):
            out += [m.weight.detach().T.flatten().tolist(), m.bias.detach().tolist()]
    return out


def reference(G, D, real, z, loss_name, gp_weight, r1_weight, r2_weight, alpha_seed):
    """gan_train's objective (Objective.d_loss / g_loss / penalties) in float64."""
    loss = AdversarialLoss(loss_name)
    critic = lambda x: D(x).squeeze(1)  # noqa: E731 - as CurveObjective's D part
    fake = G(z).detach()
    d = loss.d(critic(real), critic(fake))
    if loss_name == "wgan-gp":
        torch.manual_seed(alpha_seed)
        d = d + gp_weight * gradient_penalty(critic, real, fake)
    if r1_weight:
        d = d + r1_weight * r1_penalty(critic, real)
    if r2_weight:
        d = d + r2_weight * r1_penalty(critic, fake)
    real_logits = critic(real).detach() if loss.needs_real_in_g else None
    g = loss.g(critic(G(z)), real_logits)
    return d, g


def run_engine(payload):
    done = subprocess.run([NODE, "-e", RUNNER, str(ENGINE)], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# gan_train.losses computes in float32 (autocast safety: `.float()`); the engine in float64
def close(a, b, tol=1e-6):
    a, b = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    assert a.shape == b.shape
    return torch.allclose(a, b, atol=tol, rtol=min(1e-4, tol * 100))


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("activation", ["leaky", "tanh"])
def test_engine_matches_gan_train_losses_gradients_and_adam(loss_name, activation):
    torch.manual_seed(0)
    g_sizes, d_sizes = [2, 16, 16, 2], [2, 16, 16, 1]
    G, D = mlp(g_sizes, activation), mlp(d_sizes, activation)
    real = torch.randn(12, 2, dtype=torch.float64) * 0.7 + 0.3
    z = torch.randn(12, 2, dtype=torch.float64)
    r1 = 0.5 if loss_name in ("relativistic", "nonsaturating") else 0.0
    r2 = 0.3 if loss_name == "relativistic" else 0.0
    alpha_seed = 7
    torch.manual_seed(alpha_seed)
    alpha = torch.rand(12, 1, dtype=torch.float64).flatten().tolist()  # what gradient_penalty draws
    payload = {"g_sizes": g_sizes, "d_sizes": d_sizes, "activation": activation, "loss": loss_name,
               "g_weights": weights(G), "d_weights": weights(D), "real": real.tolist(), "z": z.tolist(),
               "gp_weight": 10.0, "r1_weight": r1, "r2_weight": r2, "alpha": alpha, "lr": 1e-2}
    js = run_engine(payload)

    d, g = reference(G, D, real, z, loss_name, 10.0, r1, r2, alpha_seed)
    assert js["d_loss"] == pytest.approx(d.item(), rel=1e-5, abs=1e-7)
    assert js["g_loss"] == pytest.approx(g.item(), rel=1e-5, abs=1e-7)
    D.zero_grad()
    d.backward()
    assert all(close(a, b) for a, b in zip(js["d_grads"], flat_grads(D)))
    G.zero_grad()
    D.zero_grad()
    g.backward()
    assert all(close(a, b) for a, b in zip(js["g_grads"], flat_grads(G)))
    assert any(abs(v) > 1e-6 for grads in js["g_grads"] for v in grads)  # a real gradient, not zeros

    # one round of Adam (betas 0.5, 0.999 as in the lessons and the trainer), fed the engine's own
    # gradients: torch's Adam must land on the same weights (Adam's first step is sign-like, so it
    # would amplify the float32 rounding of gan_train.losses if fed torch's gradients)
    def adam_step(net, grads):
        opt = torch.optim.Adam(net.parameters(), lr=1e-2, betas=(0.5, 0.999))
        linears = [m for m in net if isinstance(m, nn.Linear)]
        for m, (gw, gb) in zip(linears, zip(grads[::2], grads[1::2])):
            m.weight.grad = torch.tensor(gw, dtype=torch.float64).reshape(m.in_features, m.out_features).T.contiguous()
            m.bias.grad = torch.tensor(gb, dtype=torch.float64)
        opt.step()

    adam_step(D, js["d_grads"])
    assert all(close(a, b, 1e-12) for a, b in zip(js["d_after"], flat_params(D)))
    G.zero_grad()  # G's gradient against the updated D is still gan_train's
    reference(G, D, real, z, loss_name, 10.0, r1, r2, alpha_seed)[1].backward()
    assert all(close(a, b) for a, b in zip(js["g_grads_after_d"], flat_grads(G)))
    adam_step(G, js["g_grads_after_d"])
    assert all(close(a, b, 1e-12) for a, b in zip(js["g_after"], flat_params(G)))


LESSONS = ENGINE.parent


def node(script: str, payload=None, timeout=600):
    """Run JavaScript in Node with the lesson modules as E (engine), TG (targets), GG (game)."""
    head = (f"const E = require({json.dumps(str(LESSONS / 'engine.js'))}); "
            f"const TG = require({json.dumps(str(LESSONS / 'targets.js'))}); "
            f"const GG = require({json.dumps(str(LESSONS / 'game.js'))}); "
            "const input = JSON.parse(require('fs').readFileSync(0, 'utf8') || 'null');\n")
    done = subprocess.run([NODE, "-e", head + script], input=json.dumps(payload), capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("loss_name", LOSSES)
def test_the_fast_path_gives_the_engine_s_gradients(loss_name):
    """The lessons train with plain loops (no graph) when no penalty needs second derivatives (WGAN-GP
    goes through the graph in both calls: the same numbers with its mixing weights fixed)."""
    out = node("""
      const r = E.rng(5), G = new E.MLP([2, 8, 8, 2], "leaky", r), D = new E.MLP([2, 8, 8, 1], "leaky", r);
      const batch = (n, k) => { const t = new E.T(n, k); for (let i = 0; i < t.data.length; i++) t.data[i] = r.normal(); return t; };
      const real = batch(16, 2), fake = batch(16, 2), z = batch(16, 2), opts = {loss: input, alpha: Array(16).fill(0.3)};
      const slow = E.grad(E.dObjective(D, real, fake, opts, r).loss, D.params()).map((g) => g.toArray());
      const fast = E.dGradients(D, real, fake, opts, r).grads.map((g) => g.toArray());
      const gSlow = E.grad(E.gObjective(G, D, z, real, opts).loss, G.params()).map((g) => g.toArray());
      const gFast = E.gGradients(G, D, z, real, opts).grads.map((g) => g.toArray());
      process.stdout.write(JSON.stringify({slow, fast, gSlow, gFast}));
    """, loss_name)
    for a, b in [(out["slow"], out["fast"]), (out["gSlow"], out["gFast"])]:
        assert len(a) == len(b) == 6
        assert all(close(x, y, 1e-12) for x, y in zip(a, b))
    assert any(abs(v) > 1e-6 for g in out["gFast"] for v in g)


def test_every_chart_series_has_a_value_from_round_zero_whichever_step_comes_first():
    out = node("""
      const res = {};
      for (const first of ["d", "g", "both"]) {
        const g = new GG.Game({seed: 2}); g.round(first);
        res[first] = ["dReal", "dFake", "dLoss", "gLoss", "quality"].map((k) => g.history[k].every((v) => Number.isFinite(v)));
        res[first].push(g.history.step.join(","));
      }
      process.stdout.write(JSON.stringify(res));
    """)
    for first, flags in out.items():
        assert flags == [True] * 5 + ["0,1"], first


def test_step_d_moves_only_the_critic_and_step_g_only_the_painter():
    out = node("""
      const g = new GG.Game({seed: 3}), flat = (net) => net.params().flatMap((p) => p.toArray());
      const g0 = flat(g.G), d0 = flat(g.D); g.round("d");
      const g1 = flat(g.G), d1 = flat(g.D); g.round("g");
      const g2 = flat(g.G), d2 = flat(g.D);
      const same = (a, b) => a.every((v, i) => v === b[i]);
      process.stdout.write(JSON.stringify([same(g0, g1), same(d0, d1), same(g1, g2), same(d1, d2)]));
    """)
    assert out == [True, False, False, True]


def test_the_tutorials_painter_learns_the_artists_band_and_d_drifts_to_one_half():
    out = node("""
      const g = new GG.Game({kind: "curve", target: "quadratic", loss: "minimax", seed: 1,
                             g: {layers: [32], lr: 2e-3}, d: {layers: [32], lr: 2e-3}});  // the page's defaults
      const start = g.measure().inside;
      for (let i = 0; i < 1500; i++) g.round();
      const end = g.measure(), h = g.history, n = 50;
      const avg = (a) => a.slice(-n).reduce((p, q) => p + q, 0) / n;
      process.stdout.write(JSON.stringify({start, end: end.inside, dReal: avg(h.dReal), dFake: avg(h.dFake),
                                           eq: g.equilibrium(end)}));
    """)
    assert out["start"] < 0.5 < 0.9 < out["end"], out
    assert abs(out["dReal"] - 0.5) < 0.1 and abs(out["dFake"] - 0.5) < 0.1, out


def test_equilibrium_is_claimed_only_when_measured():
    out = node("""
      const g = new GG.Game({seed: 1});
      const early = g.equilibrium(g.measure());
      for (let i = 0; i < 60; i++) g.round();
      // D near 0.5 is not enough when G's samples miss the data
      g.history.dReal = g.history.dReal.map(() => 0.5); g.history.dFake = g.history.dFake.map(() => 0.5);
      const unmatched = g.equilibrium({covered: 3, total: 8, js: 0.6});
      const matched = g.equilibrium({covered: 8, total: 8, js: 0.05});
      g.history.dReal = g.history.dReal.map(() => 0.8);
      const dWins = g.equilibrium({covered: 8, total: 8, js: 0.05});
      process.stdout.write(JSON.stringify([early.reached, unmatched.reached, matched.reached, dWins.reached]));
    """)
    assert out == [False, False, True, False]


@pytest.mark.parametrize("preset,check", [("collapse", lambda c: c <= 2), ("cure", lambda c: c >= 7)])
def test_the_mode_collapse_preset_collapses_and_its_cure_covers_the_ring_on_ten_seeds(preset, check):
    covered = node("""
      const p = GG.PRESETS[input], out = [];
      for (let seed = 1; seed <= 10; seed++) {
        const g = new GG.Game({...p.settings, seed});
        for (let i = 0; i < p.rounds; i++) g.round();
        out.push(g.measure().covered);
      }
      process.stdout.write(JSON.stringify(out));
    """, preset)
    assert len(covered) == 10 and all(check(c) for c in covered), covered


def test_drawn_data_and_every_preset_target_train():
    out = node("""
      const res = {};
      for (const t of ["ring8", "grid25", "spiral", "moons", "draw"]) {
        const s = t === "draw" ? {drawnPoints: [[0, 0], [0.5, 0.5], [-0.5, 0.5]]} : {target: t};
        const g = new GG.Game({...s, seed: 1});
        const before = g.measure().js;
        for (let i = 0; i < 600; i++) g.round();
        res[t] = [before, g.measure().js];
      }
      process.stdout.write(JSON.stringify(res));
    """)
    for target, (before, after) in out.items():
        assert after < before, (target, before, after)  # G's points move toward the data
