// The live lessons' GAN engine: a small reverse-mode autodiff on float64 matrices (with gradients of
// gradients, for WGAN-GP and R1), MLPs, Adam, and the project's adversarial losses. It runs in each
// student's browser, so a class of 30 trains at full speed on a 2-core server that only serves the page.
// tests/test_lessons.py runs this file in Node and checks losses, gradients and Adam steps against
// gan_train.losses + torch on fixed inputs. Keep the formulas in step with gan_train/losses.py.
(function (root) {
  "use strict";

  let recording = true; // false while computing plain (first-order) gradients: no graph is kept

  class T {
    constructor(rows, cols, data, parents, back) {
      this.rows = rows; this.cols = cols;
      this.data = data || new Float64Array(rows * cols);
      this.parents = parents || null; // [T, ...]
      this.back = back || null;       // g -> [grad for each parent] (built from ops, so differentiable)
      this.req = false;
      if (parents && recording) this.req = parents.some((p) => p.req);
      if (!this.req) { this.parents = null; this.back = null; }
    }
    static of(rows, cols, values) { return new T(rows, cols, Float64Array.from(values)); }
    static zeros(rows, cols) { return new T(rows, cols); }
    static full(rows, cols, v) { const t = new T(rows, cols); t.data.fill(v); return t; }
    param() { this.req = true; return this; }
    item() { return this.data[0]; }
    toArray() { return Array.from(this.data); }
  }

  // -- ops -----------------------------------------------------------------------------------
  function matmul(a, b) {
    const n = a.rows, k = a.cols, m = b.cols, out = new Float64Array(n * m), A = a.data, B = b.data;
    for (let i = 0; i < n; i++) {
      const o = i * m;
      for (let p = 0; p < k; p++) {
        const x = A[i * k + p];
        if (x === 0) continue;
        const q = p * m;
        for (let j = 0; j < m; j++) out[o + j] += x * B[q + j];
      }
    }
    return new T(n, m, out, [a, b], (g) => [matmul(g, transpose(b)), matmul(transpose(a), g)]);
  }
  function transpose(a) {
    const out = new Float64Array(a.rows * a.cols), A = a.data;
    for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = A[i * a.cols + j];
    return new T(a.cols, a.rows, out, [a], (g) => [transpose(g)]);
  }
  function addRow(a, bias) { // a (n x m) + bias (1 x m), broadcast over rows
    const out = new Float64Array(a.data), m = a.cols, B = bias.data;
    for (let i = 0; i < out.length; i++) out[i] += B[i % m];
    return new T(a.rows, m, out, [a, bias], (g) => [g, sumRows(g)]);
  }
  function sumRows(a) { // (n x m) -> (1 x m)
    const out = new Float64Array(a.cols), A = a.data, m = a.cols;
    for (let i = 0; i < A.length; i++) out[i % m] += A[i];
    return new T(1, m, out, [a], (g) => [repeatRows(g, a.rows)]);
  }
  function repeatRows(a, n) { // (1 x m) -> (n x m)
    const out = new Float64Array(n * a.cols);
    for (let i = 0; i < n; i++) out.set(a.data, i * a.cols);
    return new T(n, a.cols, out, [a], (g) => [sumRows(g)]);
  }
  function rowSum(a) { // (n x m) -> (n x 1)
    const out = new Float64Array(a.rows), A = a.data, m = a.cols;
    for (let i = 0; i < a.rows; i++) { let s = 0; for (let j = 0; j < m; j++) s += A[i * m + j]; out[i] = s; }
    return new T(a.rows, 1, out, [a], (g) => [repeatCols(g, m)]);
  }
  function repeatCols(a, m) { // (n x 1) -> (n x m)
    const out = new Float64Array(a.rows * m);
    for (let i = 0; i < a.rows; i++) out.fill(a.data[i], i * m, (i + 1) * m);
    return new T(a.rows, m, out, [a], (g) => [rowSum(g)]);
  }
  function zip(a, b, f, back) {
    const out = new Float64Array(a.data.length), A = a.data, B = b.data;
    for (let i = 0; i < out.length; i++) out[i] = f(A[i], B[i]);
    return new T(a.rows, a.cols, out, [a, b], back);
  }
  const add = (a, b) => zip(a, b, (x, y) => x + y, (g) => [g, g]);
  const sub = (a, b) => zip(a, b, (x, y) => x - y, (g) => [g, scale(g, -1)]);
  const mul = (a, b) => zip(a, b, (x, y) => x * y, (g) => [mul(g, b), mul(g, a)]);
  function map(a, f, back) {
    const out = new Float64Array(a.data.length), A = a.data;
    for (let i = 0; i < out.length; i++) out[i] = f(A[i]);
    const t = new T(a.rows, a.cols, out, [a], null);
    if (t.req) t.back = (g) => [back(g, t)];
    return t;
  }
  const scale = (a, s) => map(a, (x) => x * s, (g) => scale(g, s));
  const shift = (a, s) => map(a, (x) => x + s, (g) => g);
  const square = (a) => mul(a, a);
  // 0/1 masks are constants: their derivative is zero almost everywhere
  const mask = (a, f) => new T(a.rows, a.cols, a.data.map(f));
  const leaky = (a, slope) => {
    const m = mask(a, (x) => (x > 0 ? 1 : slope));
    return mul(a, m);
  };
  const relu = (a) => leaky(a, 0);
  const tanh = (a) => map(a, Math.tanh, (g, y) => mul(g, shift(scale(square(y), -1), 1)));
  const sigmoid = (a) => map(a, (x) => 1 / (1 + Math.exp(-x)), (g, y) => mul(g, mul(y, shift(scale(y, -1), 1))));
  // softplus(x) = log(1 + e^x), stable for large |x|; its derivative is sigmoid(x)
  const softplus = (a) => {
    const t = new T(a.rows, a.cols, a.data.map((x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))), [a], null);
    if (t.req) t.back = (g) => [mul(g, sigmoid(a))];
    return t;
  };
  const sqrt = (a) => map(a, Math.sqrt, (g, y) => mul(g, map(y, (v) => 0.5 / v, () => { throw new Error("third order"); })));
  function sum(a) {
    let s = 0; for (const v of a.data) s += v;
    return new T(1, 1, Float64Array.of(s), [a], (g) => [repeatCols(repeatRows(g, a.rows), a.cols)]);
  }
  const mean = (a) => scale(sum(a), 1 / a.data.length);

  // -- gradients -----------------------------------------------------------------------------
  // grad(out, wrt, createGraph): d out / d each of wrt (out is 1 x 1). With createGraph the
  // gradients are themselves differentiable (WGAN-GP and R1 need the gradient of a gradient).
  function grad(out, wrt, createGraph = false) {
    const order = [], seen = new Set();
    (function visit(t) {
      if (seen.has(t) || !t.req) return;
      seen.add(t);
      if (t.parents) for (const p of t.parents) visit(p);
      order.push(t);
    })(out);
    const was = recording;
    recording = createGraph;
    try {
      const grads = new Map([[out, T.full(1, 1, 1)]]);
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i], g = grads.get(t);
        if (!g || !t.parents) continue;
        const gs = t.back(g);
        t.parents.forEach((p, k) => {
          if (!p.req || !gs[k]) return;
          const prev = grads.get(p);
          grads.set(p, prev ? add(prev, gs[k]) : gs[k]);
        });
      }
      return wrt.map((w) => grads.get(w) || T.zeros(w.rows, w.cols));
    } finally {
      recording = was;
    }
  }

  function noGrad(fn) { // run fn without building a graph (samples, plots, detached fakes)
    const was = recording;
    recording = false;
    try { return fn(); } finally { recording = was; }
  }

  // -- random numbers (seeded, so a preset replays the same run) ----------------------------------
  function rng(seed) {
    let s = (seed >>> 0) || 1, spare = null;
    const uniform = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const normal = () => {
      if (spare !== null) { const v = spare; spare = null; return v; }
      let u = 0; while (u === 0) u = uniform();
      const r = Math.sqrt(-2 * Math.log(u)), th = 2 * Math.PI * uniform();
      spare = r * Math.sin(th);
      return r * Math.cos(th);
    };
    return { uniform, normal };
  }

  // -- networks ------------------------------------------------------------------------------
  const ACTIVATIONS = { relu, leaky: (x) => leaky(x, 0.2), tanh };

  class MLP {
    // sizes: [in, hidden..., out]; weights as torch's nn.Linear default init (U(+-1/sqrt(fan_in)))
    constructor(sizes, activation, random) {
      this.sizes = sizes; this.activation = activation;
      this.layers = [];
      for (let i = 0; i + 1 < sizes.length; i++) {
        const fin = sizes[i], fout = sizes[i + 1], bound = 1 / Math.sqrt(fin);
        const W = new T(fin, fout).param(), b = new T(1, fout).param();
        for (let j = 0; j < W.data.length; j++) W.data[j] = (2 * random.uniform() - 1) * bound;
        for (let j = 0; j < b.data.length; j++) b.data[j] = (2 * random.uniform() - 1) * bound;
        this.layers.push({ W, b });
      }
    }
    params() { return this.layers.flatMap((l) => [l.W, l.b]); }
    forward(x) {
      const act = ACTIVATIONS[this.activation];
      this.layers.forEach((l, i) => {
        x = addRow(matmul(x, l.W), l.b);
        if (i + 1 < this.layers.length) x = act(x);
      });
      return x;
    }
    // for the parity tests: weights from torch (W given as torch's (out x in) rows)
    load(weights) {
      this.layers.forEach((l, i) => {
        const [W, b] = weights[i], fin = l.W.rows, fout = l.W.cols;
        for (let o = 0; o < fout; o++) for (let k = 0; k < fin; k++) l.W.data[k * fout + o] = W[o][k];
        l.b.data.set(b);
      });
    }
  }

  class Adam {
    constructor(params, lr, beta1 = 0.5, beta2 = 0.999, eps = 1e-8) {
      Object.assign(this, { params, lr, beta1, beta2, eps, t: 0 });
      this.m = params.map((p) => new Float64Array(p.data.length));
      this.v = params.map((p) => new Float64Array(p.data.length));
    }
    step(grads) { // as torch.optim.Adam
      this.t += 1;
      const { beta1: b1, beta2: b2, eps } = this, bc1 = 1 - b1 ** this.t, bc2 = Math.sqrt(1 - b2 ** this.t);
      const stepSize = this.lr / bc1;
      this.params.forEach((p, i) => {
        const g = grads[i].data, m = this.m[i], v = this.v[i], w = p.data;
        for (let j = 0; j < w.length; j++) {
          m[j] = b1 * m[j] + (1 - b1) * g[j];
          v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
          w[j] -= stepSize * m[j] / (Math.sqrt(v[j]) / bc2 + eps);
        }
      });
    }
  }

  // -- the adversarial game (gan_train/losses.py) ------------------------------------------------
  const LOSSES = ["nonsaturating", "minimax", "lsgan", "hinge", "wgan-gp", "relativistic"];
  const bceReal = (l) => mean(softplus(scale(l, -1))); // BCE-with-logits against 1
  const bceFake = (l) => mean(softplus(l));            // against 0

  function dLoss(name, r, f) {
    if (name === "minimax" || name === "nonsaturating") return add(bceReal(r), bceFake(f));
    if (name === "lsgan") return scale(add(mean(square(shift(r, -1))), mean(square(f))), 0.5);
    if (name === "hinge") return add(mean(relu(shift(scale(r, -1), 1))), mean(relu(shift(f, 1))));
    if (name === "relativistic") return mean(softplus(sub(f, r))); // R3GAN / RpGAN: -log sigmoid(r - f)
    return sub(mean(f), mean(r)); // wgan-gp (the penalty is added by dStep)
  }
  function gLoss(name, f, r) {
    if (name === "minimax") return scale(bceFake(f), -1); // mean log(1 - D(G(z)))
    if (name === "nonsaturating") return bceReal(f);
    if (name === "lsgan") return mean(square(shift(f, -1)));
    if (name === "relativistic") return mean(softplus(sub(r, f)));
    return scale(mean(f), -1); // hinge, wgan-gp
  }
  // 0.5 * mean ||grad D(x)||^2 (R1 on real data, R2 on fakes)
  function gradSquare(D, x) {
    const leaf = new T(x.rows, x.cols, Float64Array.from(x.data)).param();
    const [gx] = grad(sum(D.forward(leaf)), [leaf], true);
    return scale(mean(rowSum(square(gx))), 0.5);
  }
  // WGAN-GP: mean (||grad D(x_hat)|| - 1)^2 at x_hat = alpha * real + (1 - alpha) * fake
  function gradientPenalty(D, real, fake, alpha) {
    const n = real.rows, c = real.cols, mixed = new T(n, c);
    for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) {
      mixed.data[i * c + j] = alpha[i] * real.data[i * c + j] + (1 - alpha[i]) * fake.data[i * c + j];
    }
    mixed.param();
    const [gx] = grad(sum(D.forward(mixed)), [mixed], true);
    return mean(square(shift(sqrt(shift(rowSum(square(gx)), 1e-12)), -1)));
  }

  // One D update and one G update as gan_train's objectives compute them.
  // opts: {loss, gpWeight, r1Weight, r2Weight, alpha (WGAN-GP mix weights; drawn if absent)}
  function dObjective(D, real, fake, opts, random) {
    const r = D.forward(real), f = D.forward(fake);
    let loss = dLoss(opts.loss, r, f);
    if (opts.loss === "wgan-gp") {
      const alpha = opts.alpha || Array.from({ length: real.rows }, () => random.uniform());
      loss = add(loss, scale(gradientPenalty(D, real, fake, alpha), opts.gpWeight ?? 10));
    }
    if (opts.r1Weight) loss = add(loss, scale(gradSquare(D, real), opts.r1Weight));
    if (opts.r2Weight) loss = add(loss, scale(gradSquare(D, fake), opts.r2Weight));
    return { loss, r, f };
  }
  function gObjective(G, D, z, real, opts) {
    const fake = G.forward(z), f = D.forward(fake);
    const r = opts.loss === "relativistic" ? D.forward(real) : null;
    return { loss: gLoss(opts.loss, f, r), fake, f };
  }


  // -- the fast first-order path -------------------------------------------------------------
  // Most rounds need only first derivatives: plain loops over cached activations, no graph. The
  // general engine above (tested against torch) checks this path in tests/test_lessons.py.
  // Training reuses its buffers (a "slot" names one use, e.g. D on the real batch): allocating typed
  // arrays every step costs more than the arithmetic of these small networks.
  function buffer(mlp, slot, name, size) {
    if (slot === undefined) return new Float64Array(size);
    const ws = mlp.ws || (mlp.ws = new Map()), key = `${slot}:${name}`;
    let b = ws.get(key);
    if (!b || b.length !== size) { b = new Float64Array(size); ws.set(key, b); } else b.fill(0);
    return b;
  }
  function fastForward(mlp, X, n, slot) { // X: Float64Array (n x in); returns the cache
    const acts = [X], pre = [], L = mlp.layers.length, act = mlp.activation;
    let h = X;
    mlp.layers.forEach((l, i) => {
      const fin = l.W.rows, fout = l.W.cols, W = l.W.data, b = l.b.data, z = buffer(mlp, slot, `z${i}`, n * fout);
      for (let r = 0; r < n; r++) {
        const o = r * fout;
        z.set(b, o);
        for (let p = 0; p < fin; p++) {
          const x = h[r * fin + p];
          if (x === 0) continue;
          const q = p * fout;
          for (let j = 0; j < fout; j++) z[o + j] += x * W[q + j];
        }
      }
      pre.push(z);
      if (i + 1 < L) {
        const a = buffer(mlp, slot, `a${i}`, z.length);
        if (act === "tanh") for (let k = 0; k < z.length; k++) a[k] = Math.tanh(z[k]);
        else { const slope = act === "leaky" ? 0.2 : 0; for (let k = 0; k < z.length; k++) a[k] = z[k] > 0 ? z[k] : slope * z[k]; }
        h = a;
        acts.push(a);
      } else h = z;
    });
    return { acts, pre, out: h, n, slot };
  }
  // dOut (n x out) -> {grads: [gW, gb, ...] as Float64Arrays (or null), dX}
  function fastBackward(mlp, cache, dOut, wantParams = true) {
    const { acts, pre, n, slot } = cache, L = mlp.layers.length, act = mlp.activation;
    const grads = new Array(2 * L).fill(null);
    let d = dOut;
    for (let i = L - 1; i >= 0; i--) {
      const l = mlp.layers[i], fin = l.W.rows, fout = l.W.cols, W = l.W.data, h = acts[i];
      if (i + 1 < L) { // through the activation of layer i's output
        const z = pre[i], a = acts[i + 1];
        if (act === "tanh") for (let k = 0; k < d.length; k++) d[k] *= 1 - a[k] * a[k];
        else { const slope = act === "leaky" ? 0.2 : 0; for (let k = 0; k < d.length; k++) if (z[k] <= 0) d[k] *= slope; }
      }
      if (wantParams) {
        const gW = buffer(mlp, slot, `gW${i}`, fin * fout), gb = buffer(mlp, slot, `gb${i}`, fout);
        for (let r = 0; r < n; r++) {
          const o = r * fout;
          for (let j = 0; j < fout; j++) gb[j] += d[o + j];
          for (let p = 0; p < fin; p++) {
            const x = h[r * fin + p];
            if (x === 0) continue;
            const q = p * fout;
            for (let j = 0; j < fout; j++) gW[q + j] += x * d[o + j];
          }
        }
        grads[2 * i] = gW; grads[2 * i + 1] = gb;
      }
      if (i > 0 || !wantParams) {
        const dx = buffer(mlp, slot, `dx${i}`, n * fin);
        for (let r = 0; r < n; r++) for (let p = 0; p < fin; p++) {
          let sum = 0; const q = p * fout, o = r * fout;
          for (let j = 0; j < fout; j++) sum += W[q + j] * d[o + j];
          dx[r * fin + p] = sum;
        }
        d = dx;
      }
    }
    return { grads, dX: d };
  }
  const sig = (x) => 1 / (1 + Math.exp(-x));
  const sp = (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  // loss value and its gradient w.r.t. the logits, as dLoss / gLoss compute them
  function fastDLoss(name, r, f) {
    const n = r.length, m = f.length, dr = new Float64Array(n), df = new Float64Array(m);
    let v = 0;
    if (name === "minimax" || name === "nonsaturating") {
      for (let i = 0; i < n; i++) { v += sp(-r[i]) / n; dr[i] = -sig(-r[i]) / n; }
      for (let i = 0; i < m; i++) { v += sp(f[i]) / m; df[i] = sig(f[i]) / m; }
    } else if (name === "lsgan") {
      for (let i = 0; i < n; i++) { v += 0.5 * (r[i] - 1) ** 2 / n; dr[i] = (r[i] - 1) / n; }
      for (let i = 0; i < m; i++) { v += 0.5 * f[i] ** 2 / m; df[i] = f[i] / m; }
    } else if (name === "hinge") {
      for (let i = 0; i < n; i++) { v += Math.max(0, 1 - r[i]) / n; dr[i] = 1 - r[i] > 0 ? -1 / n : 0; }
      for (let i = 0; i < m; i++) { v += Math.max(0, 1 + f[i]) / m; df[i] = 1 + f[i] > 0 ? 1 / m : 0; }
    } else if (name === "relativistic") {
      for (let i = 0; i < n; i++) { const s = sig(f[i] - r[i]); v += sp(f[i] - r[i]) / n; df[i] = s / n; dr[i] = -s / n; }
    } else {
      for (let i = 0; i < n; i++) { v -= r[i] / n; dr[i] = -1 / n; }
      for (let i = 0; i < m; i++) { v += f[i] / m; df[i] = 1 / m; }
    }
    return { value: v, dr, df };
  }
  function fastGLoss(name, f, r) {
    const m = f.length, df = new Float64Array(m);
    let v = 0;
    for (let i = 0; i < m; i++) {
      if (name === "minimax") { v -= sp(f[i]) / m; df[i] = -sig(f[i]) / m; }
      else if (name === "nonsaturating") { v += sp(-f[i]) / m; df[i] = -sig(-f[i]) / m; }
      else if (name === "lsgan") { v += (f[i] - 1) ** 2 / m; df[i] = 2 * (f[i] - 1) / m; }
      else if (name === "relativistic") { v += sp(r[i] - f[i]) / m; df[i] = -sig(r[i] - f[i]) / m; }
      else { v -= f[i] / m; df[i] = -1 / m; }
    }
    return { value: v, df };
  }
  const needsGraph = (opts) => opts.loss === "wgan-gp" || opts.r1Weight > 0 || opts.r2Weight > 0;
  const asT = (mlp, grads) => mlp.params().map((p, i) => new T(p.rows, p.cols, grads[i]));
  // D's update: gradients for D's parameters (fast path unless a penalty needs gradients of gradients)
  function dGradients(D, real, fake, opts, random) {
    if (needsGraph(opts)) {
      const { loss, r, f } = dObjective(D, real, fake, opts, random);
      return { grads: grad(loss, D.params()), loss: loss.item(), r: r.data, f: f.data };
    }
    const cr = fastForward(D, real.data, real.rows, "real"), cf = fastForward(D, fake.data, fake.rows, "fake");
    const l = fastDLoss(opts.loss, cr.out, cf.out);
    const a = fastBackward(D, cr, l.dr).grads, b = fastBackward(D, cf, l.df).grads;
    return { grads: asT(D, a.map((g, i) => { for (let k = 0; k < g.length; k++) g[k] += b[i][k]; return g; })),
      loss: l.value, r: cr.out, f: cf.out };
  }
  // G's update: gradients for G's parameters through the frozen D (always first order)
  function gGradients(G, D, z, real, opts) {
    const cg = fastForward(G, z.data, z.rows, "g"), cd = fastForward(D, cg.out, z.rows, "g");
    const r = opts.loss === "relativistic" ? fastForward(D, real.data, real.rows, "gReal").out : null;
    const l = fastGLoss(opts.loss, cd.out, r);
    const dFake = fastBackward(D, cd, l.df, false).dX;
    return { grads: asT(G, fastBackward(G, cg, dFake).grads), loss: l.value, f: cd.out, fake: cg.out };
  }

  const api = { dGradients, gGradients, fastForward, fastBackward, fastDLoss, fastGLoss, T, MLP, Adam, rng, grad, noGrad, LOSSES, dLoss, gLoss, dObjective, gObjective, gradientPenalty, gradSquare,
    ops: { matmul, transpose, addRow, sumRows, rowSum, add, sub, mul, scale, shift, square, relu, leaky, tanh, sigmoid,
      softplus, sqrt, sum, mean } };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.GanEngine = api;
})(typeof window !== "undefined" ? window : globalThis);
