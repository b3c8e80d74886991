// One live GAN game: a painter G and a critic D on a lesson's target, trained in rounds of
// (D steps, then G steps). No drawing here, so Node runs the same code for the tests and benchmarks.
(function (root) {
  "use strict";
  const E = root.GanEngine || require("./engine.js");
  const TG = root.GanTargets || require("./targets.js");
  const { T } = E;

  const DEFAULTS = {
    kind: "points", target: "ring8", loss: "nonsaturating", batch: 64, nz: 2, seed: 1, activation: "leaky",
    gpWeight: 10, r1Weight: 0, r2Weight: 0,
    g: { layers: [16, 16], lr: 2e-3, steps: 1, optimizer: "adam" },
    d: { layers: [16, 16], lr: 2e-3, steps: 1, optimizer: "adam" },
  };
  const HISTORY = 600; // points kept per series (older ones are thinned)

  class SGD {
    constructor(params, lr) { this.params = params; this.lr = lr; }
    step(grads) { this.params.forEach((p, i) => { const g = grads[i].data; for (let j = 0; j < g.length; j++) p.data[j] -= this.lr * g[j]; }); }
  }

  function parseLayers(text) {
    const list = String(text).split(/[ ,x]+/).filter(Boolean).map(Number);
    if (!list.length || list.length > 4 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 128)) {
      throw new Error("layers: 1 to 4 whole numbers from 1 to 128, e.g. 32,32");
    }
    return list;
  }

  class Game {
    constructor(settings = {}) {
      const s = { ...DEFAULTS, ...settings, g: { ...DEFAULTS.g, ...(settings.g || {}) }, d: { ...DEFAULTS.d, ...(settings.d || {}) } };
      if (s.kind === "curve" && !settings.nz) s.nz = 5;
      if (s.kind === "curve" && !settings.activation) s.activation = "relu"; // the tutorials' networks
      this.s = s;
      this.random = E.rng(s.seed);
      this.target = s.kind === "curve" ? TG.CURVES[s.target] : s.drawnPoints ? TG.drawn(s.drawnPoints) : TG.POINT_SETS[s.target];
      if (!this.target) throw new Error(`unknown target ${s.target}`);
      const dim = s.kind === "curve" ? TG.POINTS : 2;
      this.dim = dim;
      this.G = new E.MLP([s.nz, ...s.g.layers, dim], s.activation, this.random);
      this.D = new E.MLP([dim, ...s.d.layers, 1], s.activation, this.random);
      this.makeOptimizers();
      this.step = 0;
      this.history = { step: [], dReal: [], dFake: [], dLoss: [], gLoss: [], quality: [] };
      this.last = {};
      // fixed noise and real samples for the pictures: the same "ideas" from frame to frame
      const view = E.rng(s.seed + 7);
      this.viewZ = this.noise(s.kind === "curve" ? 3 : 300, view);
      this.viewReal = this.realBatch(s.kind === "curve" ? 60 : 500, view);
      this.evalZ = this.noise(512, view);
      this.evalReal = this.realBatch(1000, view);
      this.recordStart();
    }
    makeOptimizers() {
      const make = (net, p) => (p.optimizer === "sgd" ? new SGD(net.params(), p.lr) : new E.Adam(net.params(), p.lr, 0.5, 0.999));
      this.optG = make(this.G, this.s.g);
      this.optD = make(this.D, this.s.d);
    }
    // learning rates, steps per round, loss weights change without a new game; layers need reset()
    update(settings) {
      const s = this.s;
      for (const who of ["g", "d"]) {
        const p = settings[who] || {};
        if (p.steps) s[who].steps = p.steps;
        if (p.lr) { s[who].lr = p.lr; this[who === "g" ? "optG" : "optD"].lr = p.lr; }
        if (p.optimizer && p.optimizer !== s[who].optimizer) { s[who].optimizer = p.optimizer; this.makeOptimizers(); }
      }
      for (const k of ["loss", "r1Weight", "r2Weight", "gpWeight", "batch"]) if (settings[k] !== undefined) s[k] = settings[k];
    }

    noise(n, r = this.random) {
      const z = new T(n, this.s.nz);
      for (let i = 0; i < z.data.length; i++) z.data[i] = r.normal();
      return z;
    }
    realBatch(n, r = this.random) {
      const x = new T(n, this.dim);
      for (let i = 0; i < n; i++) x.data.set(this.target.sample(r), i * this.dim);
      return x;
    }
    opts() { const s = this.s; return { loss: s.loss, gpWeight: s.gpWeight, r1Weight: s.r1Weight, r2Weight: s.r2Weight }; }

    // Each step records both players' losses on its batch, so every series has a value from the
    // first round on, whichever button comes first (the other player's loss is evaluated, not trained).
    dStep() {
      const n = this.s.batch, real = this.realBatch(n), fake = new T(n, this.dim, E.fastForward(this.G, this.noise(n).data, n, "fakes").out);
      const { grads, loss, r, f } = E.dGradients(this.D, real, fake, this.opts(), this.random);
      this.optD.step(grads);
      Object.assign(this.last, { dLoss: loss, dReal: meanSigmoid(r), dFake: meanSigmoid(f),
        gLoss: E.fastGLoss(this.s.loss, f, r).value });
    }
    gStep(alone = false) {
      const n = this.s.batch, needReal = alone || this.s.loss === "relativistic";
      const real = needReal ? this.realBatch(n) : null;
      const { grads, loss, f } = E.gGradients(this.G, this.D, this.noise(n), real, this.opts());
      this.optG.step(grads);
      Object.assign(this.last, { gLoss: loss, dFake: meanSigmoid(f) });
      if (alone) { // Step G only: D's loss and opinion of real data at this moment
        const r = E.fastForward(this.D, real.data, n).out;
        Object.assign(this.last, { dLoss: E.fastDLoss(this.s.loss, r, f).value, dReal: meanSigmoid(r) });
      }
    }
    // one round: D's steps, then G's (a phase alone for Step D / Step G)
    round(phase = "both") {
      if (phase !== "g") for (let k = 0; k < this.s.d.steps; k++) this.dStep();
      if (phase !== "d") for (let k = 0; k < this.s.g.steps; k++) this.gStep(phase === "g");
      this.step += 1;
      this.record();
    }
    // the state before any training, so the charts start at round 0
    recordStart() {
      const n = 256, real = this.realBatch(n, E.rng(this.s.seed + 3)), z = this.noise(n, E.rng(this.s.seed + 4));
      const r = E.fastForward(this.D, real.data, n).out, f = E.fastForward(this.D, E.fastForward(this.G, z.data, n).out, n).out;
      Object.assign(this.last, { dLoss: E.fastDLoss(this.s.loss, r, f).value, gLoss: E.fastGLoss(this.s.loss, f, r).value,
        dReal: meanSigmoid(r), dFake: meanSigmoid(f) });
      this.measure();
      this.record();
    }
    record() {
      const h = this.history;
      h.step.push(this.step);
      h.dReal.push(this.last.dReal ?? null);
      h.dFake.push(this.last.dFake ?? null);
      h.dLoss.push(this.last.dLoss ?? null);
      h.gLoss.push(this.last.gLoss ?? null);
      h.quality.push(this.lastQuality ?? null);
      if (h.step.length > HISTORY) for (const k of Object.keys(h)) h[k] = h[k].filter((_, i) => i % 2 === 0);
    }

    // -- what the pictures and the measures need ---------------------------------------------
    fakes(z = this.viewZ) { return rows(new T(z.rows, this.dim, E.fastForward(this.G, z.data, z.rows).out)); }
    dProbabilities(points) { // sigmoid of D's score at each point (rows of a T)
      return Array.from(E.fastForward(this.D, points.data, points.rows).out, (v) => 1 / (1 + Math.exp(-v)));
    }
    dFakeProbabilities(z = this.viewZ) { // D's opinion of G's paintings for the noise z
      const fake = E.fastForward(this.G, z.data, z.rows).out;
      return Array.from(E.fastForward(this.D, fake, z.rows).out, (v) => 1 / (1 + Math.exp(-v)));
    }
    // where G's loss pushes each fake point: -dL_G/dx, per point (GAN Lab's gradient arrows)
    fakeGradients(z = this.viewZ) {
      const n = z.rows, x = new T(n, this.dim, E.fastForward(this.G, z.data, n).out);
      const cache = E.fastForward(this.D, x.data, n);
      const real = this.s.loss === "relativistic" ? E.fastForward(this.D, this.viewReal.data.subarray(0, n * this.dim), n).out : null;
      const { df } = E.fastGLoss(this.s.loss, cache.out, real);
      const dx = E.fastBackward(this.D, cache, df, false).dX;
      return rows(new T(n, this.dim, dx.map((v) => -v * n)));
    }
    // measured quality: modes covered and JS divergence (points), share of G's curve inside the band (curves)
    measure() {
      const fake = this.fakes(this.evalZ);
      let m;
      if (this.s.kind === "curve") m = { inside: TG.insideBand(this.target, fake) };
      else {
        m = { js: TG.jsDivergence(rows(this.evalReal), fake) };
        const modes = TG.modesCovered(this.target, fake);
        if (modes) Object.assign(m, modes);
      }
      this.lastQuality = this.s.kind === "curve" ? m.inside : m.js;
      return m;
    }
    // the equilibrium claim, only when measured: D cannot tell (probabilities near 0.5 over the last
    // 50 rounds, for the losses where D outputs a probability) and G's samples match the data
    equilibrium(m) {
      const h = this.history, n = Math.min(50, h.step.length);
      if (n < 50) return { reached: false, why: "not enough rounds yet" };
      const avg = (a) => a.slice(-n).reduce((p, q) => p + (q ?? 0), 0) / n;
      const probs = ["minimax", "nonsaturating"].includes(this.s.loss);
      const dOk = !probs || (Math.abs(avg(h.dReal) - 0.5) < 0.05 && Math.abs(avg(h.dFake) - 0.5) < 0.05);
      const gOk = this.s.kind === "curve" ? m.inside > 0.95 : (m.covered === undefined || m.covered === m.total) && m.js < 0.15;
      return { reached: dOk && gOk, dOk, gOk, probs };
    }
  }

  function rows(t) {
    const out = [];
    for (let i = 0; i < t.rows; i++) out.push(Array.from(t.data.subarray(i * t.cols, (i + 1) * t.cols)));
    return out;
  }
  function meanSigmoid(logits) { // logits: Float64Array
    let s = 0; for (const v of logits) s += 1 / (1 + Math.exp(-v));
    return s / logits.length;
  }

  // The mode-collapse lesson: the same game twice, once as the failure and once with its cure.
  // G learns 10x faster than D, so it always finds one spot D still rates as real and piles every
  // painting there; D catches up, G jumps to the next spot. The cure lets D keep up: 5 D steps per
  // round (as WGAN's critic takes) and G's learning rate halved, so G must spread out to fool D.
  // tests/test_lessons.py checks both on 10 seeds (collapse: <= 2 of 8 modes; cure: >= 7 of 8).
  const COLLAPSE = { kind: "points", target: "ring8", loss: "nonsaturating", batch: 64, r1Weight: 0, r2Weight: 0,
    g: { layers: [16, 16], lr: 1e-2, steps: 1, optimizer: "adam" }, d: { layers: [16, 16], lr: 1e-3, steps: 1, optimizer: "adam" } };
  const PRESETS = {
    collapse: { title: "Mode collapse", settings: COLLAPSE, rounds: 1500 },
    cure: { title: "The cure: let D keep up", rounds: 1500,
      settings: { ...COLLAPSE, g: { ...COLLAPSE.g, lr: 5e-3 }, d: { ...COLLAPSE.d, steps: 5 } } },
  };

  const api = { Game, DEFAULTS, PRESETS, parseLayers, rows };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.GanGame = api;
})(typeof window !== "undefined" ? window : globalThis);
