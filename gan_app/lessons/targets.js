// What "the artist" draws in the live lessons: 1-D curves (the tutorials' paintings) and 2-D point sets.
// Each target can sample real data and (for the mode presets) lists its modes, so the page can count
// how many of them G reaches.
(function (root) {
  "use strict";

  const POINTS = 15; // the tutorials' 15 x positions in [-1, 1]
  const X_GRID = Array.from({ length: POINTS }, (_, i) => -1 + (2 * i) / (POINTS - 1));

  const CURVES = {
    quadratic: {
      label: "a·x², a ~ U[1, 2] (the tutorials' artist)",
      sample: (r) => { const a = 1 + r.uniform(); return X_GRID.map((x) => a * x * x); },
      band: X_GRID.map((x) => [x * x, 2 * x * x]), // every real painting lies between these
    },
    sine: {
      label: "A·sin(πx + φ), A ~ U[0.5, 1.5], φ ~ U[0, 2π)",
      sample: (r) => {
        const A = 0.5 + r.uniform(), phi = 2 * Math.PI * r.uniform();
        return X_GRID.map((x) => A * Math.sin(Math.PI * x + phi));
      },
      band: X_GRID.map(() => [-1.5, 1.5]),
    },
  };

  function gaussianModes(centres, std) {
    return {
      modes: centres, std,
      sample: (r) => { const c = centres[Math.floor(r.uniform() * centres.length)]; return [c[0] + std * r.normal(), c[1] + std * r.normal()]; },
    };
  }
  const ring = Array.from({ length: 8 }, (_, i) => [Math.cos((2 * Math.PI * i) / 8), Math.sin((2 * Math.PI * i) / 8)]);
  const grid = [];
  for (let i = -2; i <= 2; i++) for (let j = -2; j <= 2; j++) grid.push([i * 0.45, j * 0.45]);

  const POINT_SETS = {
    ring8: { label: "ring of 8 Gaussians", ...gaussianModes(ring, 0.05) },
    grid25: { label: "grid of 25 Gaussians", ...gaussianModes(grid, 0.04) },
    spiral: {
      label: "spiral",
      sample: (r) => {
        const t = Math.sqrt(r.uniform()) * 3 * Math.PI, rad = 0.08 + (t / (3 * Math.PI)) * 1.0;
        return [rad * Math.cos(t) + 0.025 * r.normal(), rad * Math.sin(t) + 0.025 * r.normal()];
      },
    },
    moons: {
      label: "two moons",
      sample: (r) => {
        const t = Math.PI * r.uniform(), upper = r.uniform() < 0.5;
        const p = upper ? [Math.cos(t) - 0.5, Math.sin(t) - 0.25] : [0.5 - Math.cos(t), 0.25 - Math.sin(t)];
        return [0.75 * p[0] + 0.04 * r.normal(), 0.75 * p[1] + 0.04 * r.normal()];
      },
    },
  };

  // a set the student draws: each click adds a small Gaussian blob around the point
  function drawn(points) {
    return {
      label: "your drawing", drawn: true,
      sample: (r) => { const c = points[Math.floor(r.uniform() * points.length)]; return [c[0] + 0.03 * r.normal(), c[1] + 0.03 * r.normal()]; },
    };
  }

  // Modes G reaches: a mode counts when at least 1% of G's samples (and 2 of them) lie within 3 std of it
  function modesCovered(target, samples) {
    if (!target.modes) return null;
    const need = Math.max(2, Math.ceil(samples.length * 0.01)), r2 = (3 * target.std) ** 2;
    const counts = new Array(target.modes.length).fill(0);
    let near = 0;
    for (const [x, y] of samples) {
      for (let k = 0; k < target.modes.length; k++) {
        const dx = x - target.modes[k][0], dy = y - target.modes[k][1];
        if (dx * dx + dy * dy < r2) { counts[k]++; near++; break; }
      }
    }
    return { covered: counts.filter((c) => c >= need).length, total: target.modes.length, near: near / samples.length };
  }

  // Jensen-Shannon divergence (bits, 0..1) between two 2-D point clouds, on a bins x bins histogram of
  // the view [-lim, lim]^2 (a plain estimate: real vs real samples of these sizes score 0.02-0.04).
  function jsDivergence(a, b, lim = 1.6, bins = 16) {
    const hist = (pts) => {
      const h = new Float64Array(bins * bins).fill(1e-3);
      for (const [x, y] of pts) {
        const i = Math.floor(((x + lim) / (2 * lim)) * bins), j = Math.floor(((y + lim) / (2 * lim)) * bins);
        if (i >= 0 && i < bins && j >= 0 && j < bins) h[i * bins + j] += 1;
      }
      const s = h.reduce((p, q) => p + q, 0);
      return h.map((v) => v / s);
    };
    const p = hist(a), q = hist(b);
    let js = 0;
    for (let k = 0; k < p.length; k++) {
      const m = 0.5 * (p[k] + q[k]);
      js += 0.5 * p[k] * Math.log2(p[k] / m) + 0.5 * q[k] * Math.log2(q[k] / m);
    }
    return js;
  }

  // 1-D: the share of G's curve values that lie inside the artist's band (1 = every point inside)
  function insideBand(target, curves) {
    let inside = 0, all = 0;
    for (const c of curves) c.forEach((y, i) => { all++; if (y >= target.band[i][0] - 0.05 && y <= target.band[i][1] + 0.05) inside++; });
    return inside / Math.max(1, all);
  }

  const api = { POINTS, X_GRID, CURVES, POINT_SETS, drawn, modesCovered, jsDivergence, insideBand };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.GanTargets = api;
})(typeof window !== "undefined" ? window : globalThis);
