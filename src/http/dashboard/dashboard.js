// The operators' dashboard: one Server-Sent Events stream, one snapshot a second, drawn into
// the page with textContent and <canvas> (no inline script or style: the page runs under a
// strict Content-Security-Policy). History is kept here, five minutes of it.
"use strict";
(() => {
  const HISTORY_SECONDS = 300;
  const series = { requests: [], p50: [], p99: [], errors: [], events: [], lag: [], backlog: [], deadLetters: [] };
  let thresholds = null;

  const $ = (id) => document.getElementById(id);
  const setText = (id, text) => { const el = $(id); if (el !== null && el.textContent !== text) el.textContent = text; };
  const integer = (n) => Math.round(n).toLocaleString("en-US");
  const decimal = (n, digits) => (n === null || n === undefined ? "–" : n.toFixed(digits));
  const percent = (share) => `${(share * 100).toFixed(share > 0 && share < 0.01 ? 2 : 1)} %`;
  const duration = (seconds) => {
    const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${seconds % 60}s`;
  };

  const push = (name, second, value) => {
    const points = series[name];
    const last = points[points.length - 1];
    if (last !== undefined && last.t === second) last.v = value;
    else if (last === undefined || last.t < second) points.push({ t: second, v: value });
    while (points.length > 0 && points[0].t <= second - HISTORY_SECONDS) points.shift();
  };

  const pushSecond = (p) => {
    push("requests", p.second, p.requests);
    push("errors", p.second, p.requests === 0 ? 0 : p.errors / p.requests);
    push("p50", p.second, p.p50Ms);
    push("p99", p.second, p.p99Ms);
  };

  // ---- charts --------------------------------------------------------------------------------

  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const charts = {
    requests: { lines: [["requests", "--accent"]] },
    latency: { lines: [["p50", "--muted"], ["p99", "--accent"]], threshold: "p99Ms" },
    errors: { lines: [["errors", "--critical"]], threshold: "errorRate" },
    events: { lines: [["events", "--accent"]] },
    lag: { lines: [["lag", "--accent"]], threshold: "consumerLag" },
    backlog: { lines: [["backlog", "--accent"]], threshold: "outboxBacklog" },
    deadLetters: { lines: [["deadLetters", "--critical"]], threshold: "deadLetters" }
  };

  const draw = (canvas, now) => {
    const spec = charts[canvas.dataset.series];
    if (spec === undefined) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.floor(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.floor(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    const limit = spec.threshold !== undefined && thresholds !== null ? thresholds[spec.threshold] : null;
    let max = limit === null ? 0 : limit * 1.1;
    for (const [name] of spec.lines) for (const p of series[name]) if (p.v !== null && p.v > max) max = p.v;
    if (max === 0) max = 1;
    const x = (t) => ((t - (now - HISTORY_SECONDS)) / HISTORY_SECONDS) * width;
    const y = (v) => height - 2 * ratio - (v / max) * (height - 4 * ratio);
    ctx.lineWidth = 1 * ratio;
    ctx.strokeStyle = css("--line");
    ctx.beginPath(); ctx.moveTo(0, y(0)); ctx.lineTo(width, y(0)); ctx.stroke();
    if (limit !== null) {
      ctx.setLineDash([4 * ratio, 4 * ratio]);
      ctx.strokeStyle = css("--degraded");
      ctx.beginPath(); ctx.moveTo(0, y(limit)); ctx.lineTo(width, y(limit)); ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.lineWidth = 1.5 * ratio;
    for (const [name, colour] of spec.lines) {
      ctx.strokeStyle = css(colour);
      ctx.beginPath();
      ctx.fillStyle = ctx.strokeStyle;
      const points = series[name];
      points.forEach((p, i) => {
        if (p.v === null) return;
        const joined = i > 0 && points[i - 1].v !== null && points[i - 1].t === p.t - 1;
        if (joined) ctx.lineTo(x(p.t), y(p.v));
        else {
          ctx.moveTo(x(p.t), y(p.v));
          // A lone second (traffic that came and went) still shows, as a dot.
          ctx.fillRect(x(p.t) - ratio, y(p.v) - ratio, 2 * ratio, 2 * ratio);
        }
      });
      ctx.stroke();
    }
  };

  let lastSecond = Math.floor(Date.now() / 1000);
  const drawAll = () => { for (const canvas of document.querySelectorAll("canvas.chart")) draw(canvas, lastSecond); };
  window.addEventListener("resize", drawAll);

  // ---- tables --------------------------------------------------------------------------------

  const row = (cells) => {
    const tr = document.createElement("tr");
    for (const [text, className] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      if (className) td.className = className;
      tr.appendChild(td);
    }
    return tr;
  };
  const fill = (id, rows, empty) => {
    const body = $(id);
    if (rows.length > 0) return body.replaceChildren(...rows);
    const placeholder = row([[empty, "muted"]]);
    placeholder.firstChild.colSpan = body.closest("table").querySelectorAll("th").length;
    body.replaceChildren(placeholder);
  };

  // ---- snapshots -----------------------------------------------------------------------------

  const render = (snapshot) => {
    const h = snapshot.health;
    thresholds = h.thresholds;
    lastSecond = snapshot.second.second;
    document.body.dataset.second = String(lastSecond);
    pushSecond(snapshot.second);
    push("events", lastSecond, snapshot.eventsPerSecond);
    push("lag", lastSecond, h.events.consumerLag);
    push("backlog", lastSecond, h.events.outboxBacklog);
    push("deadLetters", lastSecond, h.events.deadLetters);

    const status = $("status");
    status.dataset.level = h.status;
    status.textContent = h.status;
    setText("version", `v${h.version}`);
    setText("mode", h.mode);
    setText("uptime", duration(h.uptimeSeconds));

    const reasons = $("reasons");
    reasons.hidden = h.reasons.length === 0;
    reasons.dataset.level = h.status;
    reasons.replaceChildren(...h.reasons.map((r) => { const li = document.createElement("li"); li.textContent = r; return li; }));

    setText("total-requests", integer(h.http.totalRequests));
    setText("rate", decimal(h.http.ratePerSecond, 2));
    setText("minute-requests", integer(h.http.requests));
    setText("p50", decimal(h.http.p50Ms, 1));
    setText("p99", decimal(h.http.p99Ms, 1));
    setText("error-rate", percent(h.http.errorRate));
    setText("events-rate", decimal(snapshot.eventsPerSecond, 1));
    setText("events-handled", integer(h.events.eventsHandled));
    setText("transport", h.events.transport);
    setText("lag", integer(h.events.consumerLag));
    setText("backlog", integer(h.events.outboxBacklog));
    setText("dead-letters", integer(h.events.deadLetters));
    setText("critical-factor", String(h.thresholds.criticalFactor));
    for (const el of document.querySelectorAll("[data-threshold]")) {
      const value = h.thresholds[el.dataset.threshold];
      el.textContent = el.dataset.threshold === "errorRate" ? percent(value) : integer(value);
    }
    const levels = new Map(h.alerts.map((a) => [a.name, a.level]));
    for (const card of document.querySelectorAll(".card")) card.dataset.level = levels.get(card.dataset.metric) || "ok";

    fill("dependencies", [
      ...h.dependencies.map((d) => row([
        [d.detail ? `${d.name} (${d.detail})` : d.name + (d.required ? "" : " · optional")],
        [d.status, d.status],
        [`${decimal(d.latencyMs, 1)} ms`],
        [d.lastError ? `${d.lastError} (${d.lastErrorAt})` : "–", "error"]
      ])),
      // Circuit breakers: closed is healthy, open refuses calls, half-open is trying.
      ...(h.breakers || []).map((b) => row([
        [`circuit ${b.name}`],
        [b.state, b.state === "closed" ? "up" : "down"],
        ["–"],
        [b.failureRate < 0 ? `${integer(b.calls)} calls` : `${decimal(b.failureRate, 1)} % failed, ${decimal(b.slowCallRate, 1)} % slow of ${integer(b.calls)}`]
      ])),
      // Webhooks: a disabled subscription is its owners' to fix, not an outage of Flowboard's.
      ...(h.webhooks && h.webhooks.active >= 0 ? [row([
        ["webhooks"],
        [h.webhooks.disabled > 0 ? "degraded" : "up", h.webhooks.disabled > 0 ? "down" : "up"],
        ["–"],
        [`${integer(h.webhooks.active)} active, ${integer(h.webhooks.disabled)} disabled subscriptions; ${integer(h.webhooks.pending)} deliveries waiting`]
      ])] : [])
    ], "none");
    fill("consumers", h.events.consumers.map((c) => row([[c.handler], [integer(c.backlog)], [integer(c.pending)]])), "no consumers in this process");
    setText("fallbacks", h.fallbacks.length === 0 ? "No fallbacks in force." : `Fallbacks in force: ${h.fallbacks.join("; ")}`);
    drawAll();
  };

  // ---- the stream ----------------------------------------------------------------------------

  const connection = (state) => { const el = $("connection"); el.dataset.state = state; el.textContent = state; };
  const source = new EventSource("/dashboard/stream");
  source.addEventListener("open", () => connection("live"));
  source.addEventListener("history", (e) => { for (const p of JSON.parse(e.data)) pushSecond(p); drawAll(); });
  source.addEventListener("snapshot", (e) => render(JSON.parse(e.data)));
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      // Refused (the session ended or the server restarted): the page itself decides what to show.
      connection("signed out");
      setTimeout(() => window.location.reload(), 2000);
    } else {
      connection("reconnecting");
    }
  });
})();
