// The page side of a live lesson: controls, the main picture (D's heat map, real and fake points, G's
// warped latent grid, gradient arrows; or the artist's band and G's paintings), three charts, and the
// loop that trains between redraws. GanLesson.mount(element, {kind: "points" | "curve"}).
(function (root) {
  "use strict";
  const E = root.GanEngine, TG = root.GanTargets, GG = root.GanGame;

  const COLORS = { real: "#16a34a", fake: "#7c3aed", dReal: "#16a34a", dFake: "#dc2626", half: "#9ca3af",
    dLoss: "#7c3aed", gLoss: "#2563eb", quality: "#ea580c", grid: "rgba(124,58,237,0.35)", arrow: "#111827",
    curves: ["#2563eb", "#ea580c", "#db2777"], band: "rgba(22,163,74,0.14)", realCurve: "rgba(22,163,74,0.22)" };
  const TRAIN_BUDGET_MS = 55;  // training time per frame; the rest of the frame draws
  const SLOW_MS = 400;         // slow motion: one round per 0.4 s, arrows on

  const html = (kind) => `
<div class="gl" data-kind="${kind}">
 <div class="gl-bar">
  <button data-act="play" class="gl-primary">Train</button>
  <button data-act="round" title="one D update then one G update">Step (one round)</button>
  <button data-act="d" title="update only the critic D">Step D only</button>
  <button data-act="g" title="update only the painter G">Step G only</button>
  <button data-act="reset">Reset</button>
  <label><input type="checkbox" data-opt="slow"> Slow motion</label>
  <span class="gl-run">Run <input type="number" data-opt="runN" value="1000" min="1" max="100000" step="100"> rounds
   <button data-act="run">Go</button> <progress data-role="progress" max="1" value="0"></progress></span>
  <span data-role="stats" class="gl-stats">round 0</span>
 </div>
 <div class="gl-main">
  <div class="gl-controls">
   <fieldset><legend>What the artist draws</legend>
    <select data-opt="target"></select>
    ${kind === "points" ? '<div class="gl-hint" data-role="drawhint">Click or drag on the picture to draw your own data, then press Train.</div><button data-act="clear">Clear drawing</button>' : ""}
   </fieldset>
   <fieldset><legend>The game</legend>
    <label>Loss <select data-opt="loss"></select></label>
    <label>R1 weight <input type="number" data-opt="r1Weight" value="0" min="0" max="100" step="0.1"></label>
    <label>R2 weight <input type="number" data-opt="r2Weight" value="0" min="0" max="100" step="0.1"></label>
    <label>Batch size <input type="number" data-opt="batch" value="64" min="2" max="512" step="2"></label>
    ${kind === "curve" ? '<label>Noise size (ideas) <input type="number" data-opt="nz" value="5" min="1" max="20"></label>' : ""}
   </fieldset>
   ${["g", "d"].map((w) => `
   <fieldset class="gl-player-${w}"><legend>${w === "g" ? "Painter G (generator)" : "Critic D (discriminator)"}</legend>
    <label>Hidden layers <input type="text" data-opt="${w}.layers" value="16,16" size="8"></label>
    <label>Learning rate <input type="number" data-opt="${w}.lr" value="0.002" min="0.00001" max="0.1" step="0.0005"></label>
    <label>Steps per round <input type="number" data-opt="${w}.steps" value="1" min="1" max="20"></label>
    <label>Optimizer <select data-opt="${w}.optimizer"><option value="adam">Adam</option><option value="sgd">SGD</option></select></label>
   </fieldset>`).join("")}
   ${kind === "points" ? `<fieldset><legend>Show</legend>
    <label><input type="checkbox" data-show="heat" checked> D's opinion (heat map)</label>
    <label><input type="checkbox" data-show="grid" checked> G's warped latent grid</label>
    <label><input type="checkbox" data-show="arrows" checked> gradient arrows on fakes</label>
    <label><input type="checkbox" data-show="real" checked> real points</label></fieldset>
   <fieldset class="gl-presets"><legend>Mode collapse</legend>
    <button data-act="collapse">1. Make it collapse</button> <button data-act="cure">2. The cure</button>
    <div class="gl-hint" data-role="preset"></div></fieldset>` : ""}
  </div>
  <div class="gl-picture"><canvas data-role="main" width="460" height="460"></canvas>
   <div class="gl-legend" data-role="legend"></div></div>
  <div class="gl-charts">
   <canvas data-role="prob" width="380" height="150"></canvas>
   <canvas data-role="loss" width="380" height="150"></canvas>
   <canvas data-role="quality" width="380" height="150"></canvas>
  </div>
 </div>
 <div class="gl-status" data-role="status"></div>
 <div class="gl-error" data-role="error"></div>
</div>`;

  const CSS = `
.gl { font: 14px/1.4 system-ui, sans-serif; color: var(--body-text-color, #111); }
.gl-bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 8px; }
.gl button { padding: 4px 10px; border: 1px solid #9ca3af; border-radius: 6px; background: #f9fafb; color: #111; cursor: pointer; }
.gl button.gl-primary { background: #f97316; color: white; border-color: #ea580c; min-width: 90px; }
.gl-stats { margin-left: auto; font-variant-numeric: tabular-nums; color: #4b5563; }
.gl-main { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.gl-controls { width: 250px; display: flex; flex-direction: column; gap: 6px; }
.gl-controls fieldset { border: 1px solid #e5e7eb; border-radius: 8px; padding: 4px 8px; margin: 0; }
.gl-controls label { display: flex; justify-content: space-between; gap: 6px; margin: 2px 0; }
.gl-controls input[type=number], .gl-controls input[type=text] { width: 80px; }
.gl-controls select { max-width: 170px; }
.gl-picture canvas { border: 1px solid #d1d5db; border-radius: 6px; width: 460px; height: 460px; aspect-ratio: 1; }
.gl-charts { display: flex; flex-direction: column; gap: 6px; }
.gl-charts canvas { border: 1px solid #e5e7eb; border-radius: 6px; }
.gl-legend { font-size: 12px; display: flex; flex-wrap: wrap; gap: 10px; max-width: 460px; }
.gl-legend i { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; }
.gl-status { margin-top: 8px; min-height: 2.8em; }
.gl-error { color: #b91c1c; }
.gl-hint { font-size: 12px; color: #4b5563; }
.gl-player-g legend { color: #7c3aed; } .gl-player-d legend { color: #16a34a; }
`;

  function mount(element, config) {
    const kind = config.kind;
    if (!document.getElementById("gan-lesson-css")) {
      const style = document.createElement("style");
      style.id = "gan-lesson-css";
      style.textContent = CSS;
      document.head.appendChild(style);
    }
    element.innerHTML = html(kind);
    const $ = (sel) => element.querySelector(sel);
    const role = (r) => $(`[data-role=${r}]`);
    const opt = (o) => $(`[data-opt="${o}"]`);

    // -- controls ----------------------------------------------------------------------------
    const targetSel = opt("target");
    const targets = kind === "curve" ? TG.CURVES : { ...TG.POINT_SETS, draw: { label: "draw your own" } };
    for (const [k, t] of Object.entries(targets)) targetSel.add(new Option(t.label, k));
    targetSel.value = kind === "curve" ? "quadratic" : "ring8";
    const LOSS_NAMES = { nonsaturating: "non-saturating", minimax: "minimax (the tutorials')", lsgan: "least squares",
      hinge: "hinge", "wgan-gp": "WGAN-GP", relativistic: "relativistic (R3GAN)" };
    for (const l of E.LOSSES) opt("loss").add(new Option(LOSS_NAMES[l], l));
    if (kind === "curve") { // the tutorials' settings
      opt("loss").value = "minimax";
      for (const w of ["g", "d"]) { opt(`${w}.layers`).value = "32"; opt(`${w}.lr`).value = "0.002"; }
    }
    let drawnPoints = [];

    function number(name, lo, hi) {
      const el = opt(name), v = Number(el.value);
      if (!Number.isFinite(v) || v < lo || v > hi) {
        const label = el.closest("label") ? el.closest("label").textContent.trim() : name;
        throw new Error(`${label}: a number from ${lo} to ${hi}, got "${el.value}"`);
      }
      return v;
    }
    function readSettings() {
      const s = { kind, target: targetSel.value, loss: opt("loss").value, batch: Math.round(number("batch", 2, 512)),
        r1Weight: number("r1Weight", 0, 100), r2Weight: number("r2Weight", 0, 100), seed: seed };
      if (kind === "curve") s.nz = Math.round(number("nz", 1, 20));
      for (const w of ["g", "d"]) {
        s[w] = { layers: GG.parseLayers(opt(`${w}.layers`).value), lr: number(`${w}.lr`, 1e-5, 0.1),
          steps: Math.round(number(`${w}.steps`, 1, 20)), optimizer: opt(`${w}.optimizer`).value };
      }
      if (s.target === "draw") { s.drawnPoints = drawnPoints.slice(); s.target = "draw"; }
      return s;
    }
    function writeSettings(s) {
      targetSel.value = s.target; opt("loss").value = s.loss; opt("batch").value = s.batch;
      opt("r1Weight").value = s.r1Weight; opt("r2Weight").value = s.r2Weight;
      for (const w of ["g", "d"]) {
        opt(`${w}.layers`).value = s[w].layers.join(","); opt(`${w}.lr`).value = s[w].lr;
        opt(`${w}.steps`).value = s[w].steps; opt(`${w}.optimizer`).value = s[w].optimizer;
      }
    }

    // -- state ----------------------------------------------------------------------------------
    let seed = 1, game = null, playing = false, runLeft = 0, runTotal = 0, lastSlow = 0, measured = null, frames = 0;
    let ghost = null, note = "", structure = "";
    // per-second rates for the page; cumulative counts for benchmarks/lessons_browser.py
    const stats = { rounds: 0, redraws: 0, roundsPerSec: 0, redrawsPerSec: 0, since: performance.now(), firstDraw: null,
      totalRedraws: 0 };
    const show = (k) => kind !== "points" || $(`[data-show=${k}]`).checked;
    const error = (msg) => { role("error").textContent = msg || ""; };

    function structureOf(s) { return JSON.stringify([s.target, s.drawnPoints, s.g.layers, s.d.layers, s.nz, s.seed]); }
    function newGame() {
      const s = readSettings();
      if (s.target === "draw" && drawnPoints.length < 3) {
        game = null; structure = "";
        error(""); note = "Draw at least 3 points on the picture (click or drag), then press Train.";
        return;
      }
      game = new GG.Game(s.target === "draw" ? { ...s, target: "ring8", drawnPoints: s.drawnPoints } : s);
      structure = structureOf(s);
      measured = game.measure();
      error("");
    }
    function applySettings() { // live changes keep the game; shape changes start a new one
      try {
        const s = readSettings();
        if (!game || structureOf(s) !== structure) { newGame(); return true; }
        game.update(s);
        error("");
        return true;
      } catch (e) { error(e.message); playing = false; runLeft = 0; return false; }
    }
    element.addEventListener("change", (ev) => {
      if (ev.target.matches("[data-show]")) return;
      if (ev.target === targetSel && targetSel.value === "draw") drawnPoints = [];
      applySettings();
      draw();
    });

    // -- actions --------------------------------------------------------------------------
    function snapshot() { return game ? { fakes: game.fakes(), dr: game.last.dReal, df: game.last.dFake, probs: currentProbs() } : null; }
    function currentProbs() { // D's mean opinion of a fixed real set and of G's current paintings
      const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
      return [mean(game.dProbabilities(game.evalReal)), mean(game.dFakeProbabilities(game.evalZ))];
    }
    function act(what) {
      if (what === "play") { if (!applySettings() || !game) { draw(); return; } playing = !playing; runLeft = 0; return; }
      if (what === "reset") { seed += 1; playing = false; runLeft = 0; ghost = null; note = "Reset: a new, untrained painter and critic."; newGame(); draw(); return; }
      if (what === "clear") { drawnPoints = []; targetSel.value = "draw"; newGame(); draw(); return; }
      if (what === "collapse" || what === "cure") { preset(what); return; }
      if (!applySettings() || !game) { draw(); return; }
      if (what === "run") {
        runTotal = runLeft = Math.round(number("runN", 1, 100000)); playing = false; return;
      }
      playing = false; runLeft = 0;
      const before = snapshot();
      game.round(what === "round" ? "both" : what);
      stats.rounds += 1;
      const after = currentProbs();
      const label = { round: "One round (D then G)", d: "Step D only", g: "Step G only" }[what];
      note = `${label}: D's opinion of real data ${before.probs[0].toFixed(3)} → ${after[0].toFixed(3)}, ` +
        `of G's paintings ${before.probs[1].toFixed(3)} → ${after[1].toFixed(3)}.` +
        (what === "d" ? " The critic changed; the painter did not (its paintings stay put)." : "") +
        (what === "g" ? " The painter moved its paintings (faint: before) toward what D calls real; D did not change." : "");
      ghost = what === "d" ? null : { fakes: before.fakes, until: performance.now() + 2500 };
      measured = game.measure();
      draw();
    }
    element.querySelectorAll("[data-act]").forEach((b) => b.addEventListener("click", () => act(b.dataset.act)));

    function preset(name) {
      const p = GG.PRESETS[name];
      writeSettings(p.settings);
      seed = 1; playing = false; ghost = null;
      newGame();
      runTotal = runLeft = p.rounds;
      opt("runN").value = p.rounds;
      role("preset").innerHTML = name === "collapse"
        ? "<b>Mode collapse.</b> G learns 10× faster than D (learning rate 0.01 vs 0.001). It finds one spot D still calls real and paints everything there; D learns that spot is fake, and G jumps to the next. G's points cover one or two of the 8 modes at a time: variety is lost, because nothing in G's loss rewards it."
        : "<b>The cure:</b> the same run, but D keeps up: it takes 5 steps per round (as a WGAN critic does) and G's learning rate is halved (0.005). No single spot fools D for long any more, so G must spread its paintings over every mode.";
      draw();
    }

    // drawing your own data
    const main = role("main"), ctx = main.getContext("2d");
    const LIM = 1.6, W = main.width;
    const toPx = (x, y) => [((x + LIM) / (2 * LIM)) * W, ((LIM - y) / (2 * LIM)) * W];
    const toWorld = (px, py) => [(px / W) * 2 * LIM - LIM, LIM - (py / W) * 2 * LIM];
    if (kind === "points") {
      let down = false;
      const add = (ev) => {
        const r = main.getBoundingClientRect();
        const p = toWorld(((ev.clientX - r.left) / r.width) * W, ((ev.clientY - r.top) / r.height) * W);
        if (targetSel.value !== "draw") { targetSel.value = "draw"; drawnPoints = []; playing = false; }
        const lastP = drawnPoints[drawnPoints.length - 1];
        if (!lastP || Math.hypot(p[0] - lastP[0], p[1] - lastP[1]) > 0.04) drawnPoints.push(p);
      };
      main.addEventListener("pointerdown", (ev) => { down = true; add(ev); draw(); });
      main.addEventListener("pointermove", (ev) => { if (down) { add(ev); draw(); } });
      window.addEventListener("pointerup", () => { if (down) { down = false; newGame(); draw(); } });
    }

    // -- the loop ---------------------------------------------------------------------------------
    function tick(now) {
      try {
        if (game && (playing || runLeft > 0)) {
          const slow = opt("slow").checked;
          if (slow) {
            if (now - lastSlow > SLOW_MS) {
              lastSlow = now;
              const before = game.fakes();
              game.round(); stats.rounds += 1; if (runLeft > 0) runLeft -= 1;
              ghost = { fakes: before, until: now + SLOW_MS };
            }
          } else {
            const t0 = performance.now();
            do {
              game.round(); stats.rounds += 1;
              if (runLeft > 0 && --runLeft === 0) break;
            } while (performance.now() - t0 < TRAIN_BUDGET_MS);
          }
          if ((frames % 6 === 0) || runLeft === 0) measured = game.measure();
          if (runLeft === 0 && !playing) note = `Finished ${runTotal} rounds.`;
        }
        draw();
      } catch (e) { error(`Stopped: ${e.message}`); playing = false; runLeft = 0; }
      frames += 1;
      const dt = now - stats.since;
      if (dt > 1000) {
        stats.roundsPerSec = (stats.rounds * 1000) / dt; stats.redrawsPerSec = (stats.redraws * 1000) / dt;
        stats.rounds = 0; stats.redraws = 0; stats.since = now;
      }
      if (element.isConnected) requestAnimationFrame(tick);
    }

    // -- drawing ----------------------------------------------------------------------------------
    let lastText = 0;
    function draw() {
      stats.redraws += 1; stats.totalRedraws += 1;
      if (stats.firstDraw === null) stats.firstDraw = performance.now();
      ctx.clearRect(0, 0, W, W);
      if (kind === "points") drawPoints(); else drawCurves();
      drawCharts();
      // text changes make the browser lay out the whole page: 5 times a second is enough to read
      const now = performance.now();
      if (playing || runLeft > 0) { if (now - lastText < 200) return; }
      lastText = now;
      $("[data-act=play]").textContent = playing ? "Pause" : "Train";
      role("progress").value = runTotal ? (runTotal - runLeft) / runTotal : 0;
      const busy = playing || runLeft > 0;
      role("stats").textContent = `round ${game ? game.step : 0}` +
        (busy ? ` · ${Math.round(stats.roundsPerSec)} rounds/s · ${Math.round(stats.redrawsPerSec)} redraws/s` : "");
      role("legend").innerHTML = legendHtml;
      drawStatus();
    }

    function drawPoints() {
      if (show("heat") && game) {
        const n = 40, pts = new E.T(n * n, 2);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
          pts.data[(i * n + j) * 2] = -LIM + ((j + 0.5) / n) * 2 * LIM;
          pts.data[(i * n + j) * 2 + 1] = LIM - ((i + 0.5) / n) * 2 * LIM;
        }
        const p = game.dProbabilities(pts), img = ctx.createImageData(n, n);
        p.forEach((v, k) => { // green = D says real, purple = D says fake, white = unsure (0.5)
          const a = Math.min(1, Math.abs(v - 0.5) * 2), c = v > 0.5 ? [22, 163, 74] : [124, 58, 237];
          img.data.set([255 + (c[0] - 255) * a * 0.45, 255 + (c[1] - 255) * a * 0.45, 255 + (c[2] - 255) * a * 0.45, 255], k * 4);
        });
        const off = heatCanvas(n); off.getContext("2d").putImageData(img, 0, 0);
        ctx.imageSmoothingEnabled = true; ctx.drawImage(off, 0, 0, W, W);
      }
      ctx.strokeStyle = "#e5e7eb"; ctx.lineWidth = 1;
      const [ox, oy] = toPx(0, 0); ctx.beginPath(); ctx.moveTo(0, oy); ctx.lineTo(W, oy); ctx.moveTo(ox, 0); ctx.lineTo(ox, W); ctx.stroke();
      if (targetSel.value === "draw") for (const q of drawnPoints) dot(q, 4, "rgba(22,163,74,0.5)");
      if (!game) return;
      if (show("real")) for (const q of GG.rows(game.viewReal)) dot(q, 2.2, COLORS.real);
      if (show("grid")) drawLatentGrid();
      const fakes = game.fakes();
      if (ghost && performance.now() < ghost.until) {
        ctx.strokeStyle = "rgba(124,58,237,0.35)";
        ghost.fakes.forEach((q, i) => { line(q, fakes[i]); dot(q, 2, "rgba(124,58,237,0.25)"); });
      }
      for (const q of fakes) dot(q, 2.6, COLORS.fake);
      if (show("arrows")) {
        const grads = game.fakeGradients(), maxLen = Math.max(...grads.map((g) => Math.hypot(g[0], g[1]))) || 1;
        ctx.strokeStyle = COLORS.arrow; ctx.lineWidth = 1;
        fakes.forEach((q, i) => { if (i % 3 === 0) arrow(q, [q[0] + (0.18 * grads[i][0]) / maxLen, q[1] + (0.18 * grads[i][1]) / maxLen]); });
      }
      legendHtml = legend([[COLORS.real, "real data"], [COLORS.fake, "G's fakes"],
        ...(show("heat") ? [["rgba(22,163,74,0.45)", "D says real"], ["rgba(124,58,237,0.45)", "D says fake"]] : []),
        ...(show("grid") ? [[COLORS.grid, "G's warped latent grid"]] : []), ...(show("arrows") ? [[COLORS.arrow, "arrows: where G's loss pushes each fake"]] : [])]);
    }
    let heat = null, legendHtml = "";
    function heatCanvas(n) { if (!heat || heat.width !== n) { heat = document.createElement("canvas"); heat.width = heat.height = n; } return heat; }
    function drawLatentGrid() {
      const k = 13, z = new E.T(k * k, game.s.nz);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) { z.data[(i * k + j) * game.s.nz] = -2 + (4 * i) / (k - 1); z.data[(i * k + j) * game.s.nz + 1] = -2 + (4 * j) / (k - 1); }
      const p = game.fakes(z);
      ctx.strokeStyle = COLORS.grid; ctx.lineWidth = 1;
      for (let i = 0; i < k; i++) for (let j = 0; j + 1 < k; j++) { line(p[i * k + j], p[i * k + j + 1]); line(p[j * k + i], p[(j + 1) * k + i]); }
    }

    function drawCurves() {
      const X = TG.X_GRID, ys = [-0.5, 2.5], t = game ? game.target : TG.CURVES[targetSel.value];
      if (targetSel.value === "sine") { ys[0] = -2.2; ys[1] = 2.2; }
      const px = (x, y) => [((x + 1.1) / 2.2) * W, W - ((y - ys[0]) / (ys[1] - ys[0])) * W];
      ctx.fillStyle = COLORS.band; ctx.beginPath();
      X.forEach((x, i) => { const [a, b] = px(x, t.band[i][1]); i ? ctx.lineTo(a, b) : ctx.moveTo(a, b); });
      for (let i = X.length - 1; i >= 0; i--) { const [a, b] = px(X[i], t.band[i][0]); ctx.lineTo(a, b); }
      ctx.closePath(); ctx.fill();
      const poly = (ys_, color, width, dash) => {
        ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash || []); ctx.beginPath();
        ys_.forEach((y, i) => { const [a, b] = px(X[i], y); i ? ctx.lineTo(a, b) : ctx.moveTo(a, b); }); ctx.stroke(); ctx.setLineDash([]);
      };
      ctx.strokeStyle = "#9ca3af"; ctx.lineWidth = 1; const [, y0] = px(0, 0); ctx.beginPath(); ctx.moveTo(0, y0); ctx.lineTo(W, y0); ctx.stroke();
      if (!game) return;
      for (const c of GG.rows(game.viewReal)) poly(c, COLORS.realCurve, 1);
      const fakes = game.fakes();
      if (ghost && performance.now() < ghost.until) ghost.fakes.forEach((c, i) => poly(c, COLORS.curves[i % 3] + "55", 2, [5, 4]));
      fakes.forEach((c, i) => poly(c, COLORS.curves[i % 3], 3));
      const probs = game.dFakeProbabilities();
      legendHtml = legend([[COLORS.band, "the artist's band: where every real painting lies"], [COLORS.realCurve, "real paintings"],
        ...fakes.map((_, i) => [COLORS.curves[i], `G's painting ${i + 1} (D: ${(probs[i] * 100).toFixed(0)}% real)`])]);
    }

    function drawCharts() {
      const h = game ? game.history : { step: [], dReal: [], dFake: [], dLoss: [], gLoss: [], quality: [] };
      const probLike = ["minimax", "nonsaturating"].includes(opt("loss").value);
      chart(role("prob"), probLike ? "D's probability \"real\"" : "sigmoid of D's score", h.step,
        [["0.5 (equilibrium)", h.step.map(() => 0.5), COLORS.half], ["D(real)", h.dReal, COLORS.dReal], ["D(fake)", h.dFake, COLORS.dFake]], [0, 1]);
      chart(role("loss"), "losses (what each player minimises)", h.step, [["D loss", h.dLoss, COLORS.dLoss], ["G loss", h.gLoss, COLORS.gLoss]]);
      const q = kind === "curve" ? "share of G's points inside the band" : "JS divergence real vs G (bits)";
      chart(role("quality"), q, h.step, [[kind === "curve" ? "inside band" : "JS divergence", h.quality, COLORS.quality]], [0, 1]);
    }
    function chart(canvas, title, xs, series, range) {
      // what was drawn, for the browser tests: each series' name and how many points it has
      canvas.dataset.drawn = JSON.stringify(series.map(([name, ys]) => [name, ys.filter((y) => y !== null && Number.isFinite(y)).length]));
      const c = canvas.getContext("2d"), w = canvas.width, hgt = canvas.height, L = 36, B = 18, top = 30;
      c.clearRect(0, 0, w, hgt);
      c.fillStyle = "#111827"; c.font = "12px system-ui, sans-serif"; c.fillText(title, 6, 13);
      let lx = 6; // legend: every series, in full
      for (const [name, , color] of series) { c.fillStyle = color; c.fillRect(lx, 19, 10, 3); c.fillStyle = "#374151"; c.fillText(name, lx + 13, 25); lx += 18 + c.measureText(name).width; }
      let lo = range ? range[0] : Infinity, hi = range ? range[1] : -Infinity;
      if (!range) for (const [, ys] of series) for (const y of ys) if (y !== null && Number.isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
      if (!(hi > lo)) { lo = (Number.isFinite(lo) ? lo : 0) - 1; hi = lo + 2; }
      const x0 = xs[0] ?? 0, x1 = Math.max(xs[xs.length - 1] ?? 1, x0 + 1);
      const X = (x) => L + ((x - x0) / (x1 - x0)) * (w - L - 6), Y = (y) => top + (1 - (y - lo) / (hi - lo)) * (hgt - top - B);
      c.strokeStyle = "#d1d5db"; c.beginPath(); c.moveTo(L, top); c.lineTo(L, hgt - B); c.lineTo(w - 6, hgt - B); c.stroke();
      c.fillStyle = "#6b7280"; c.font = "10px system-ui, sans-serif";
      c.fillText(fmt(hi), 2, top + 8); c.fillText(fmt(lo), 2, hgt - B); c.fillText(`round ${x1}`, w - 70, hgt - 4);
      for (const [, ys, color] of series) {
        c.strokeStyle = color; c.lineWidth = 1.6; c.beginPath(); let on = false;
        ys.forEach((y, i) => { if (y === null || !Number.isFinite(y)) { on = false; return; } const a = X(xs[i]), b = Y(y); on ? c.lineTo(a, b) : c.moveTo(a, b); on = true; });
        if (ys.length === 1 && ys[0] !== null) c.fillRect(X(xs[0]) - 2, Y(ys[0]) - 2, 4, 4);
        c.stroke();
      }
    }
    const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

    function drawStatus() {
      if (!game) { role("status").innerHTML = note; return; }
      const m = measured || {}, eq = game.equilibrium(m), parts = [];
      if (m.covered !== undefined) parts.push(`<b>G reaches ${m.covered} of ${m.total} modes</b>`);
      if (m.js !== undefined) parts.push(`JS divergence ${m.js.toFixed(3)} bits`);
      if (m.inside !== undefined) parts.push(`${(m.inside * 100).toFixed(0)}% of G's points inside the artist's band`);
      if (game.last.dReal !== undefined) parts.push(`D(real) ${game.last.dReal.toFixed(3)}, D(fake) ${(game.last.dFake ?? 0).toFixed(3)}`);
      let verdict = "";
      if (eq.reached) verdict = "<b>Equilibrium (measured):</b> over the last 50 rounds D " + (eq.probs ? "says about 0.5 for real and fake alike" : "cannot separate them") + ", and G's samples match the data.";
      else if (game.step >= 50 && eq.dOk && !eq.gOk && eq.probs) verdict = "D is unsure (about 0.5), but G's samples do not match the data yet: not an equilibrium.";
      role("status").innerHTML = `<div data-role="measures">${parts.join(" · ")}</div><div data-role="verdict">${verdict}</div><div data-role="note">${note}</div>`;
    }

    function dot(p, r, color) { const [x, y] = toPx(p[0], p[1]); ctx.fillStyle = color; ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill(); }
    function line(a, b) { const [x1, y1] = toPx(a[0], a[1]), [x2, y2] = toPx(b[0], b[1]); ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke(); }
    function arrow(a, b) {
      const [x1, y1] = toPx(a[0], a[1]), [x2, y2] = toPx(b[0], b[1]), ang = Math.atan2(y2 - y1, x2 - x1);
      ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2);
      ctx.lineTo(x2 - 5 * Math.cos(ang - 0.5), y2 - 5 * Math.sin(ang - 0.5)); ctx.moveTo(x2, y2);
      ctx.lineTo(x2 - 5 * Math.cos(ang + 0.5), y2 - 5 * Math.sin(ang + 0.5)); ctx.stroke();
    }
    const legend = (items) => items.map(([c, t]) => `<span><i style="background:${c}"></i>${t}</span>`).join("");

    newGame();
    draw();
    requestAnimationFrame(tick);
    // for the browser tests and benchmarks/lessons_browser.py
    root.__ganLessons = root.__ganLessons || {};
    root.__ganLessons[kind] = { get game() { return game; }, stats, act, preset };
  }

  root.GanLesson = { mount };
})(window);
