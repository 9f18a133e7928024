// Small SVG plots for the status page and the offline report: no library, no build step.
// Every plot is an <svg> whose data-points attribute counts the values it drew (tests read it).
"use strict";

const Plots = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const W = 320, H = 130, L = 40, R = 8, T = 8, B = 20;  // view box and margins

  const COLORS = {
    correct: "#2e9d4f", incorrect: "#7d8a99", format_error: "#e0a800", timeout: "#8e5bd6",
    error: "#c8642a", infra_error: "#d62f2f",
  };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, s, anchor, cls) {
    const t = el("text", {x, y, "text-anchor": anchor || "start", class: cls || "tick"}, parent);
    t.textContent = s;
    return t;
  }

  function frame(container) {
    const svg = el("svg", {viewBox: `0 0 ${W} ${H}`, class: "plot", role: "img"});
    container.appendChild(svg);
    return svg;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function fmt(v, unit) {
    if (unit === "%") return `${Math.round(v * 100)}%`;
    if (unit === "s") {
      if (v === 0) return "0";
      if (v < 1) return `${+(v * 1000).toPrecision(3)}ms`;
      return `${+v.toPrecision(3)}s`;
    }
    if (Math.abs(v) >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
    return `${+v.toPrecision(3)}`;
  }

  function ago(seconds) {
    const s = Math.round(-seconds);
    return s >= 120 ? `-${Math.round(s / 60)}m` : `-${s}s`;
  }

  // Axes for a time plot: y from 0 to yMax, x over the bucket starts `x` (seconds before now).
  function axes(svg, x, yMax, unit) {
    const x0 = x[0], x1 = x[x.length - 1];
    const sx = (v) => L + (W - L - R) * (x1 === x0 ? 1 : (v - x0) / (x1 - x0));
    const sy = (v) => H - B - (H - T - B) * (v / yMax);
    for (const f of [0, 0.5, 1]) {
      el("line", {x1: L, x2: W - R, y1: sy(f * yMax), y2: sy(f * yMax), class: "grid"}, svg);
      text(svg, L - 4, sy(f * yMax) + 3, fmt(f * yMax, unit), "end");
    }
    for (const f of [0, 0.5, 1]) {
      const v = x0 + f * (x1 - x0);
      text(svg, sx(v), H - 6, f === 1 ? "now" : ago(v), f === 0 ? "start" : f === 1 ? "end" : "middle");
    }
    return {sx, sy};
  }

  // Lines over time. series: [{name, color, values (null = gap), dash}]; unit "", "s" or "%".
  function lines(container, {x, series, unit, yMax}) {
    const svg = frame(container);
    const all = series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
    const {sx, sy} = axes(svg, x, yMax || niceMax(Math.max(0, ...all)), unit);
    let points = 0;
    for (const s of series) {
      let d = "";
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        const prev = i > 0 ? s.values[i - 1] : null;
        d += `${prev === null || prev === undefined ? "M" : "L"}${sx(x[i]).toFixed(1)},${sy(v).toFixed(1)}`;
        points++;
      });
      const path = el("path", {d, fill: "none", stroke: s.color, "stroke-width": 1.6}, svg);
      if (s.dash) path.setAttribute("stroke-dasharray", "4 3");
      // A lone point between gaps draws no line segment: mark every point when there are few.
      if (s.values.filter((v) => v !== null && v !== undefined).length < 3) {
        s.values.forEach((v, i) => {
          if (v !== null && v !== undefined) el("circle", {cx: sx(x[i]), cy: sy(v), r: 2, fill: s.color}, svg);
        });
      }
    }
    svg.dataset.points = points;
    return svg;
  }

  // Stacked areas over time (series bottom first). percent: each column scaled to its total.
  function stacked(container, {x, series, unit, percent}) {
    const svg = frame(container);
    const n = x.length;
    const totals = Array.from({length: n}, (_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
    const yMax = percent ? 1 : niceMax(Math.max(0, ...totals));
    const {sx, sy} = axes(svg, x, yMax, percent ? "%" : unit);
    const base = new Array(n).fill(0);
    let points = 0;
    for (const s of series) {
      const share = (i) => (totals[i] ? (s.values[i] || 0) / totals[i] : 0);
      const top = base.map((b, i) => b + (percent ? share(i) : s.values[i] || 0));
      if (top.some((v, i) => v > base[i])) {
        let d = "";
        for (let i = 0; i < n; i++) d += `${i ? "L" : "M"}${sx(x[i]).toFixed(1)},${sy(top[i]).toFixed(1)}`;
        for (let i = n - 1; i >= 0; i--) d += `L${sx(x[i]).toFixed(1)},${sy(base[i]).toFixed(1)}`;
        el("path", {d: d + "Z", fill: s.color, stroke: "none", opacity: 0.9}, svg);
        points += top.filter((v, i) => v > base[i]).length;
      }
      top.forEach((v, i) => { base[i] = v; });
    }
    svg.dataset.points = points;
    return svg;
  }

  // Vertical bars with a label under each: a histogram (labels are values or bin edges) or counts.
  function bars(container, {labels, values, colors, unit}) {
    const svg = frame(container);
    const yMax = niceMax(Math.max(0, ...values));
    const sy = (v) => H - B - (H - T - B) * (v / yMax);
    for (const f of [0, 0.5, 1]) {
      el("line", {x1: L, x2: W - R, y1: sy(f * yMax), y2: sy(f * yMax), class: "grid"}, svg);
      text(svg, L - 4, sy(f * yMax) + 3, fmt(f * yMax, unit), "end");
    }
    const slot = (W - L - R) / Math.max(1, values.length);
    const every = Math.ceil(values.length / 8);  // at most 8 labels fit under the axis
    values.forEach((v, i) => {
      const x = L + i * slot;
      const bar = el("rect", {x: x + slot * 0.1, y: sy(v), width: slot * 0.8, height: Math.max(0, sy(0) - sy(v)),
        fill: Array.isArray(colors) ? colors[i] : colors || "#4a78c2"}, svg);
      el("title", {}, bar).textContent = `${labels[i]}: ${v}`;
      if (i % every === 0) text(svg, x + slot / 2, H - 6, labels[i], "middle");
    });
    svg.dataset.points = values.filter((v) => v > 0).length;
    return svg;
  }

  // A reward histogram from the server's {values, counts} (discrete) or {edges, counts} (binned).
  function histogram(container, hist) {
    const labels = hist.values ? hist.values.map((v) => fmt(v, ""))
      : hist.counts.map((_, i) => fmt((hist.edges[i] + hist.edges[i + 1]) / 2, ""));
    return bars(container, {labels, values: hist.counts, colors: "#4a78c2"});
  }

  function h(tag, cls, content, parent) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined) node.textContent = content;  // never innerHTML: reasons quote model output
    if (parent) parent.appendChild(node);
    return node;
  }

  // Text with `code` spans (the warnings' advice names settings and commands that way).
  function rich(tag, cls, content, parent) {
    const node = h(tag, cls, undefined, parent);
    content.split("`").forEach((part, i) => {
      if (i % 2) h("code", "", part, node);
      else node.appendChild(document.createTextNode(part));
    });
    return node;
  }

  // Warning cards (the page's and the report's): what was seen, the reasons, likely causes, checks.
  function warnings(container, list) {
    for (const w of list) {
      const card = h("article", `warning ${w.severity}`, undefined, container);
      card.dataset.kind = w.kind;
      card.dataset.domain = w.domain;
      const head = h("h3", "", undefined, card);
      h("span", "badge", w.severity === "critical" ? "CRITICAL" : "WARNING", head);
      h("span", "", ` ${w.domain} · ${w.kind.replace("_", " ")}`, head);
      if (w.since) h("span", "since", ` since ${new Date(w.since * 1000).toLocaleTimeString()}`, head);
      rich("p", "seen", w.seen, card);
      if (w.reasons && w.reasons.length) {
        const ul = h("ul", "reasons", undefined, card);
        for (const r of w.reasons) {
          const li = h("li", "", undefined, ul);
          h("b", "", `${r.count}× `, li);
          h("span", "", r.reason, li);
          if (r.example !== r.reason) h("span", "example", ` e.g. “${r.example}”`, li);
        }
      }
      const cols = h("div", "advice", undefined, card);
      for (const [title, items] of [["Likely causes", w.causes], ["Check", w.checks]]) {
        const col = h("div", "", undefined, cols);
        h("h4", "", title, col);
        const ul = h("ul", "", undefined, col);
        for (const c of items) rich("li", "", c, ul);
      }
    }
  }

  return {COLORS, lines, stacked, bars, histogram, fmt, h, warnings};
})();
