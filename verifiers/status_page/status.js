// The live status page: polls /stats and redraws. The bearer token, when the service has one, is
// asked for once, kept in this tab's sessionStorage and sent as an Authorization header, never in
// a URL (URLs end up in proxy and access logs).
"use strict";

(() => {
  const KEY = "cascade-verifiers-token";
  const STATUSES = ["correct", "incorrect", "format_error", "timeout", "error", "infra_error"];
  const {h, COLORS, fmt} = Plots;
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let polls = 0;

  function authHeaders() {
    const token = sessionStorage.getItem(KEY);
    return token ? {Authorization: `Bearer ${token}`} : {};
  }

  async function poll() {
    clearTimeout(timer);
    let wait = 2000;
    try {
      const reply = await fetch("stats", {headers: authHeaders(), cache: "no-store"});
      if (reply.status === 401) {
        askToken(sessionStorage.getItem(KEY) ? "The service refused that token." :
          "This service needs its bearer token (server.auth_token).");
        return;
      }
      if (!reply.ok) throw new Error(`/stats answered ${reply.status}`);
      const data = await reply.json();
      wait = data.poll_s * 1000;
      render(data);
    } catch (err) {
      banner("down", "NO ANSWER", `the service did not answer /stats: ${err.message}; retrying`);
    }
    timer = setTimeout(poll, wait);
  }

  function askToken(message) {
    banner("unknown", "TOKEN NEEDED", message);
    $("token-form").hidden = false;
    $("token-msg").textContent = message;
    $("token").focus();
  }

  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, $("token").value);
    $("token").value = "";
    $("token-form").hidden = true;
    poll();
  });
  $("forget").addEventListener("click", (ev) => {
    ev.preventDefault();
    sessionStorage.removeItem(KEY);
    poll();
  });

  function banner(state, title, meta) {
    $("banner").className = `banner ${state}`;
    $("state").textContent = title;
    $("meta").textContent = meta;
  }

  const sum = (xs) => xs.reduce((a, b) => a + (b || 0), 0);
  const lastValue = (xs) => { for (let i = xs.length - 1; i >= 0; i--) if (xs[i] !== null) return xs[i]; return null; };
  const pct = (n, d) => (d ? `${(100 * n / d).toFixed(1)}%` : "–");

  // Headline figures of one domain: the last few buckets for rates, the health window for shares.
  function headline(d) {
    const s = d.series;
    const w = d.window;
    const recent = 5;
    const rate = s ? sum(STATUSES.map((k) => sum(s.rates[k].slice(-recent)))) / recent : 0;
    return {
      rate, samples: w.samples,
      correct: pct(w.statuses.correct, w.samples),
      format: pct(w.statuses.format_error, w.samples),
      masked: pct(w.statuses.infra_error, w.samples),
      reward: w.reward.mean === undefined ? "–" : fmt(w.reward.mean, ""),
      p50: s && lastValue(s.p50_s) !== null ? fmt(lastValue(s.p50_s), "s") : "–",
      p99: s && lastValue(s.p99_s) !== null ? fmt(lastValue(s.p99_s), "s") : "–",
      workers: s && lastValue(s.workers) !== null ? `${lastValue(s.workers_alive)}/${lastValue(s.workers)}` : "–",
      restarts: s ? sum(s.restarts) : 0,
    };
  }

  function render(data) {
    const names = Object.keys(data.domains).sort();
    const warnings = data.warnings;
    const critical = warnings.filter((w) => w.severity === "critical").length;
    const total = sum(names.map((n) => headline(data.domains[n]).rate));
    const ready = names.filter((n) => data.domains[n].ready).length;
    const meta = `${ready} of ${names.length} domains ready · ${fmt(total, "")} items/s · ` +
      `up ${Math.round(data.uptime_s / 60)} min · v${data.version} · updated ${new Date().toLocaleTimeString()}`;
    if (critical) banner("critical", `${critical} CRITICAL · ${warnings.length - critical} WARNING(S)`, meta);
    else if (warnings.length) banner("warning", `${warnings.length} WARNING(S)`, meta);
    else if (!data.ready) banner("critical", "NOT READY", meta);
    else banner("ok", "HEALTHY · no warnings", meta);

    const wbox = $("warnings");
    wbox.replaceChildren();
    Plots.warnings(wbox, warnings);

    overview(data, names);
    const main = $("domains");
    main.replaceChildren();
    for (const name of names) {
      if (data.domains[name].series) domainPlots(main, name, data.domains[name], data);
    }
    document.body.dataset.polls = ++polls;
  }

  function overview(data, names) {
    const table = $("overview");
    table.replaceChildren();
    const head = h("tr", "", undefined, h("thead", "", undefined, table));
    const cols = ["domain", "ready", "items/s", "recent", "correct", "format_error", "masked", "mean reward",
      "p50", "p99", "workers", "restarts"];
    for (const c of cols) h("th", "", c, head);
    const body = h("tbody", "", undefined, table);
    const warned = new Set(data.warnings.map((w) => w.domain));
    for (const name of names) {
      const d = data.domains[name];
      const x = headline(d);
      const row = h("tr", warned.has(name) ? "warned" : "", undefined, body);
      row.dataset.domain = name;
      h("td", "name", name, row);
      h("td", d.ready ? "good" : "bad", d.ready ? "ready" : "NOT READY", row);
      h("td", "", d.series ? fmt(x.rate, "") : "idle", row);
      for (const v of [x.samples, x.correct, x.format, x.masked, x.reward, x.p50, x.p99, x.workers, x.restarts]) {
        h("td", "", String(v), row);
      }
    }
  }

  function cell(grid, title, legend) {
    const box = h("figure", "cell", undefined, grid);
    const cap = h("figcaption", "", title, box);
    for (const [label, color] of legend || []) {
      const key = h("span", "key", undefined, cap);
      key.style.setProperty("--c", color);
      key.textContent = label;
    }
    return box;
  }

  function domainPlots(main, name, d, data) {
    const section = h("section", "domain", undefined, main);
    section.dataset.domain = name;
    const w = d.window;
    const title = h("h2", "", name, section);
    const mean = w.reward.mean === undefined ? "–" : fmt(w.reward.mean, "");
    const same = w.same_reward;
    const run = same.run > 1 ? `, last ${same.run} rewards equal (${fmt(same.value, "")})` : "";
    h("span", "sub", ` last ${w.samples} samples: mean reward ${mean}${run}`, title);
    const grid = h("div", "grid", undefined, section);
    const x = data.t;
    const s = d.series;
    const legend = STATUSES.map((k) => [k, COLORS[k]]);
    const verdicts = STATUSES.map((k) => ({name: k, color: COLORS[k], values: s.rates[k]}));

    Plots.stacked(cell(grid, "items/s by verdict", legend), {x, series: verdicts, unit: ""}).dataset.plot = "rate";
    Plots.stacked(cell(grid, "verdict mix"), {x, series: verdicts, percent: true}).dataset.plot = "mix";
    const totals = x.map((_, i) => sum(STATUSES.map((k) => s.rates[k][i])));
    const masked = x.map((_, i) => (totals[i] ? s.rates.infra_error[i] / totals[i] : null));
    Plots.lines(cell(grid, "masked share (infra_error)"), {x, unit: "%",
      series: [{name: "masked", color: COLORS.infra_error, values: masked}]}).dataset.plot = "masked";
    const unmasked = sum(w.reward.histogram.counts);
    Plots.histogram(cell(grid, `reward distribution (last ${unmasked} unmasked)`), w.reward.histogram)
      .dataset.plot = "reward";
    Plots.lines(cell(grid, "latency", [["p50", "#4a78c2"], ["p99", "#d62f2f"]]), {x, unit: "s", series: [
      {name: "p50", color: "#4a78c2", values: s.p50_s}, {name: "p99", color: "#d62f2f", values: s.p99_s}]})
      .dataset.plot = "latency";
    Plots.stacked(cell(grid, "mean time in queue vs running", [["run", "#4a78c2"], ["queue", "#e0a800"]]), {
      x, unit: "s", series: [
        {name: "run", color: "#4a78c2", values: s.run_s}, {name: "queue", color: "#e0a800", values: s.queue_s}]})
      .dataset.plot = "queue";
    const cap = d.readiness.capacity;
    Plots.lines(cell(grid, `admission${cap ? ` (capacity ${cap})` : ""}`,
      [["admitted", "#4a78c2"], ["waiting", "#d62f2f"], ["queued", "#e0a800"]]), {x, unit: "", series: [
      {name: "admitted", color: "#4a78c2", values: s.admitted}, {name: "waiting", color: "#d62f2f", values: s.waiting},
      {name: "queued", color: "#e0a800", values: s.queued}]}).dataset.plot = "admission";
    if (s.workers.some((v) => v !== null)) {
      Plots.lines(cell(grid, "workers alive / restarts", [["alive", "#2e9d4f"], ["configured", "#7d8a99"],
        ["restarts", "#d62f2f"]]), {x, unit: "", series: [
        {name: "alive", color: "#2e9d4f", values: s.workers_alive},
        {name: "configured", color: "#7d8a99", values: s.workers, dash: true},
        {name: "restarts", color: "#d62f2f", values: s.restarts}]}).dataset.plot = "workers";
    } else {
      h("p", "note", "no worker pool (in-process model or HTTP backend): see readiness", cell(grid, "workers"));
    }
  }

  poll();
})();
