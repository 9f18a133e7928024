// The offline report (verifiers/report.py inlines this file with plots.js and the data).
"use strict";

(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const STATUSES = ["correct", "incorrect", "format_error", "timeout", "error", "infra_error"];
  const {h, COLORS, fmt} = Plots;
  const body = document.body;

  // A table of items whose last column is the end of a response (monospaced, wrapped).
  function itemsTable(parent, cls, columns, rows) {
    const table = h("table", `items ${cls}`, undefined, parent);
    const head = h("tr", "", undefined, h("thead", "", undefined, table));
    for (const c of columns) h("th", "", c, head);
    const tbody = h("tbody", "", undefined, table);
    for (const cells of rows) {
      const row = h("tr", "", undefined, tbody);
      cells.forEach((v, i) => h("td", i === cells.length - 1 ? "excerpt" : "", v, row));
    }
  }

  const head = h("header", `banner ${data.warnings.some((w) => w.severity === "critical") ? "critical" :
    data.warnings.length ? "warning" : "ok"}`, undefined, body);
  h("div", "state", data.warnings.length ? `${data.warnings.length} WARNING(S)` : "NO WARNINGS", head);
  h("div", "meta", `${data.source} · ${data.items} items scored in ${data.scoring_s} s · ` +
    `${new Date(data.generated * 1000).toLocaleString()} · verifiers ${data.version}`, head);
  Plots.warnings(h("section", "warnings", undefined, body), data.warnings);

  const table = h("table", "overview", undefined, body);
  const hr = h("tr", "", undefined, h("thead", "", undefined, table));
  for (const c of ["domain", "items", ...STATUSES, "mean reward", "min", "max"]) h("th", "", c, hr);
  const tb = h("tbody", "", undefined, table);
  for (const [name, d] of Object.entries(data.domains)) {
    const row = h("tr", "", undefined, tb);
    row.dataset.domain = name;
    h("td", "name", name, row);
    h("td", "", String(d.samples), row);
    for (const s of STATUSES) h("td", "", String(d.statuses[s]), row);
    for (const k of ["mean", "min", "max"]) h("td", "", d.reward[k] === undefined ? "–" : fmt(d.reward[k], ""), row);
  }

  for (const [name, d] of Object.entries(data.domains)) {
    const section = h("section", "domain", undefined, body);
    section.dataset.domain = name;
    h("h2", "", name, section);
    const grid = h("div", "grid", undefined, section);
    const verdicts = h("figure", "cell", undefined, grid);
    h("figcaption", "", "verdicts", verdicts);
    Plots.bars(verdicts, {labels: STATUSES.map((s) => s.replace("_error", "_err")),
      values: STATUSES.map((s) => d.statuses[s]), colors: STATUSES.map((s) => COLORS[s])}).dataset.plot = "verdicts";
    const rewards = h("figure", "cell", undefined, grid);
    h("figcaption", "", `reward histogram (${d.reward.histogram.counts.reduce((a, b) => a + b, 0)} unmasked)`, rewards);
    Plots.histogram(rewards, d.reward.histogram).dataset.plot = "reward";
    if (d.reasons.length) {
      h("h3", "", "Reasons, with the first item of each", section);
      itemsTable(section, "reasons", ["status", "reason", "items", "line", "example reason", "end of the response"],
        d.reasons.map((r) => [r.status, r.reason, String(r.count), String(r.line),
          r.example === r.reason ? "" : r.example, r.excerpt]));
    }
  }

  const slow = h("section", "domain", undefined, body);
  h("h2", "", "Slowest items", slow);
  h("p", "note", "Time from submission to verdict. Items verified in one batch finish together: they form one " +
    "row, shown by its least ordinary verdict (a timeout is the usual reason a batch waits).", slow);
  itemsTable(slow, "slowest", ["seconds", "domain", "items", "status", "lines", "end of the response"],
    data.slowest.map((it) => [fmt(it.seconds, "s"), it.domain, String(it.items), `${it.status} (line ${it.line})`,
      it.lines.join(", ") + (it.items > it.lines.length ? ", …" : ""), it.excerpt]));
  body.dataset.rendered = "1";
})();
