// smsgw console. Plain script, no framework, no build step: every page is drawn from the
// API's JSON with DOM calls (text goes in as text, never as HTML, so a customer's message in
// any script or with any characters shows as they wrote it). Live updates come from the
// server-sent event stream /v1/console/stream; nothing polls.
"use strict";

const SVG_NS = ["http:", "", "www.w3.org", "2000", "svg"].join("/");
const STATUSES = ["scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed", "expired", "canceled"];
const FINAL = new Set(["delivered", "undelivered", "failed", "expired", "canceled"]);

const app = {
  me: null,          // {actor, scopes, csrf, sign_in_needed}
  overview: null,    // the last overview from the stream
  page: null,        // the page drawn now
  refresh: null,     // redraws the page after an event touching it
  refreshTimer: 0,   // a redraw is scheduled
  refreshedAt: 0,    // when the last one ran
};

// ---------- small helpers ----------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c) node.append(c);
  return node;
}

// A time in the viewer's zone, the UTC time on hover.
function when(ts) {
  if (!ts) return el("span", { text: "—" });
  const d = new Date(ts);
  if (isNaN(d)) return el("span", { text: String(ts) });
  const today = new Date().toDateString() === d.toDateString();
  const text = today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  return el("time", { datetime: d.toISOString(), title: d.toISOString().replace(".000Z", "Z") + " (UTC)", text });
}

function can(scope) {
  const s = app.me ? app.me.scopes : [];
  return s.includes("admin") || s.includes(scope);
}

function toast(text, error) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.className = "toast" + (error ? " error" : "");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.textContent = ""; }, error ? 9000 : 4000);
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ("HTTP " + status));
    this.status = status;
    this.code = body && body.error && body.error.code;
  }
}

async function api(path, options) {
  const opts = Object.assign({ method: "GET" }, options || {});
  const headers = { Accept: "application/json" };
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(opts.json);
  }
  if (opts.contentType) headers["Content-Type"] = opts.contentType;
  if (opts.method !== "GET" && app.me && app.me.csrf) headers["X-CSRF-Token"] = app.me.csrf;
  const resp = await fetch(path, { method: opts.method, headers, body: opts.body, credentials: "same-origin" });
  if (resp.status === 401) {
    location.assign("/console/sign-in");
    throw new ApiError(401, null);
  }
  const text = await resp.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") s.set(k, v);
  const t = s.toString();
  return t ? "?" + t : "";
}

function statusClass(s) {
  if (s === "delivered" || s === "sent") return "state-ok";
  if (s === "failed" || s === "undelivered" || s === "expired") return "state-bad";
  return "state-warn";
}

function signalBars(rssi) {
  // +CSQ rssi 0..31 to five bars (2 ≈ -109 dBm, 30 ≈ -53 dBm).
  const bars = rssi === null || rssi === undefined || rssi > 31 ? 0 : Math.min(5, Math.ceil(rssi / 6));
  const node = el("span", { class: "bars", role: "img", "aria-label": `signal ${bars} of 5 bars` });
  for (let i = 1; i <= 5; i++) node.append(el("i", { class: i <= bars ? "on" : "" }));
  return node;
}

// ---------- page frame ----------

function setPage(name, title, ...content) {
  const view = document.getElementById("view");
  // A redraw of the same view (a live update) keeps what someone was typing, and where.
  const same = view.dataset.hash === location.hash;
  const kept = new Map();
  // A chosen file cannot be set again by script: the chosen input itself moves over.
  const files = [];
  if (same) {
    for (const f of view.querySelectorAll("input[id], textarea[id], select[id]")) {
      if (f.type !== "file") kept.set(f.id, f.value);
      else if (f.files && f.files.length > 0) files.push(f);
    }
  }
  const a = document.activeElement;
  const focus = same && a && view.contains(a) && a.id
    ? { id: a.id, start: a.selectionStart, end: a.selectionEnd } : null;
  app.page = name;
  document.title = title + " — smsgw console";
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  view.replaceChildren(...content.flat().filter((c) => c !== null && c !== undefined && c !== false));
  for (const [id, value] of kept) {
    const f = document.getElementById(id);
    if (f && f.type !== "file") f.value = value;
  }
  for (const chosen of files) {
    const fresh = document.getElementById(chosen.id);
    if (fresh && fresh.type === "file") fresh.replaceWith(chosen);
  }
  if (focus && document.getElementById(focus.id)) {
    const f = document.getElementById(focus.id);
    f.focus();
    if (typeof focus.start === "number" && f.setSelectionRange) {
      try { f.setSelectionRange(focus.start, focus.end); } catch (_) { /* not a text field */ }
    }
  }
  view.dataset.loaded = "true";
  view.dataset.page = name;
  view.dataset.hash = location.hash;
}

function failure(e) {
  if (e && e.status === 401) return;
  toast(e && e.message ? e.message : String(e), true);
}

// ---------- overview ----------

function drawOverview() {
  const o = app.overview;
  if (!o) {
    setPage("overview", "Overview", el("h1", { text: "Overview" }), el("p", { text: "Waiting for the gateway…" }));
    return;
  }
  const queue = el("ul", { class: "counts", "aria-label": "Messages by status" },
    STATUSES.map((s) => el("li", {}, el("b", { text: String(o.queue[s] || 0) }), s)));
  const routes = el("ul", { class: "counts", id: "routes" }, (o.routes || []).map((r) =>
    el("li", {}, el("b", { class: r.ready ? "state-ok" : "state-bad", text: r.name }),
      r.ready ? `ready, ${r.free} free` : `down: ${r.reason}`)));
  const modems = (o.modems || []).length === 0
    ? el("p", { text: "No modems configured." })
    : el("div", { class: "grid", id: "modems" }, o.modems.map(modemCard));
  const links = (o.links || []).length === 0
    ? el("p", { text: "No SMPP links configured." })
    : el("div", { class: "grid", id: "links" }, o.links.map((l) =>
      el("div", { class: "card " + (l.healthy ? "up" : "down") },
        el("h3", { text: l.name }),
        el("p", { class: l.healthy ? "state-ok" : "state-bad", text: l.healthy ? "bound" : "not bound" }),
        el("p", { text: l.detail }))));
  const hooks = (o.webhooks || []).length === 0
    ? el("p", { text: "No webhook targets configured." })
    : el("div", { class: "table-wrap" }, el("table", { id: "webhook-backlogs" },
      el("caption", { class: "hint", text: "Webhook targets" }),
      el("thead", {}, el("tr", {}, ["Target", "State", "Waiting", "Dead letters", "Delivered", "Failed attempts"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, o.webhooks.map((w) => el("tr", {},
        el("td", {}, el("a", { href: "#/webhooks", text: w.name })),
        el("td", {}, w.failing_since
          ? el("span", { class: "state-bad" }, "failing since ", when(w.failing_since), w.last_error ? `: ${w.last_error}` : "")
          : el("span", { class: "state-ok", text: "no failures" })),
        el("td", { text: String(w.backlog) }),
        el("td", { class: w.dead > 0 ? "state-bad" : "", text: String(w.dead) }),
        el("td", { text: String(w.delivered) }),
        el("td", { text: String(w.failed_attempts) }))))));
  setPage("overview", "Overview",
    el("h1", { text: "Overview" }),
    el("p", { class: "hint" }, "As of ", when(o.at), "; updates live."),
    el("h2", { text: "Queue" }), queue,
    el("h2", { text: "Sends, receipts and received messages per minute" }), rateChart(o.rates || []),
    el("h2", { text: "Modems" }), modems,
    el("h2", { text: "Routes" }), routes,
    el("h2", { text: "SMPP links" }), links,
    el("h2", { text: "Webhooks" }), hooks);
}

function modemCard(m) {
  const rows = [];
  const row = (k, v) => rows.push(el("dt", { text: k }), el("dd", {}, v));
  const state = m.state_name + (m.out_of_rotation ? " (out of rotation)" : "");
  row("State", el("span", { class: m.up ? "state-ok" : "state-bad", text: state }));
  if (m.health) row("Health", m.health);
  row("Signal", el("span", {}, signalBars(m.signal_rssi),
    " ", m.signal_dbm !== null && m.signal_dbm !== undefined ? `${m.signal_dbm} dBm` : "unknown"));
  row("Network", [m.registration || "unknown", m.operator ? ` — ${m.operator}` : ""].join(""));
  // One line per memory (read, write and receive storage are often the same SIM memory).
  const storages = [...new Set((m.storages || []).map((s) => `${s.memory} ${s.used}/${s.total}`))].join(", ");
  row("Storage", (storages ? "storage " + storages : "storage unknown") + (m.storage_full ? ` — full: ${m.storage_full}` : ""));
  if (m.today) row("Today", m.today.limit ? `${m.today.sent} of ${m.today.limit} sent` : `${m.today.sent} sent (no daily limit)`);
  const c = m.counters || {};
  row("Since start", `sent ${c.parts_sent || 0}, failed ${c.parts_failed || 0}, received ${c.received || 0}`);
  if (m.last_error) row("Last error", el("span", {}, m.last_error, " ", when(m.last_error_at)));
  return el("div", { class: "card modem " + (m.up ? "up" : "down"), "data-modem": m.name },
    el("h3", {}, m.name, el("span", { class: "hint", text: ` · ${m.route}` })),
    el("dl", { class: "kv" }, rows),
    sparkline(m.signal_history || []));
}

function sparkline(samples) {
  const w = 240, h = 30;
  const node = svg("svg", { class: "spark", viewBox: `0 0 ${w} ${h}`, role: "img",
    "aria-label": samples.length ? `signal over the last ${Math.round(samples.length * 15 / 60)} minutes` : "no signal history yet" });
  if (samples.length < 2) return node;
  const step = w / (samples.length - 1);
  const pts = samples.map((s, i) => `${(i * step).toFixed(1)},${s.rssi === null ? h : (h - (s.rssi / 31) * (h - 2)).toFixed(1)}`);
  node.append(svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#17663a", "stroke-width": "2" }));
  return node;
}

function rateChart(rates) {
  const w = 640, h = 190, left = 38, bottom = 26, top = 10;
  const max = Math.max(1, ...rates.map((r) => Math.max(r.sent, r.receipts || 0, r.received)));
  const x = (i) => left + (i * (w - left - 8)) / Math.max(1, rates.length - 1);
  const y = (v) => top + (h - top - bottom) * (1 - v / max);
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${w} ${h}`, role: "img",
    "aria-label": `per-minute rates over the last hour; peak ${max} per minute` });
  chart.append(svg("line", { x1: left, y1: y(0), x2: w - 8, y2: y(0), stroke: "#7d8794" }));
  chart.append(svg("line", { x1: left, y1: top, x2: left, y2: y(0), stroke: "#7d8794" }));
  chart.append(svg("text", { x: 2, y: top + 8, text: String(max) }));
  chart.append(svg("text", { x: 2, y: y(0), text: "0" }));
  rates.forEach((r, i) => {
    if (i % 10 !== 0 && i !== rates.length - 1) return;
    const d = new Date(r.minute);
    chart.append(svg("line", { x1: x(i), y1: y(0), x2: x(i), y2: y(0) + 4, stroke: "#7d8794" }));
    const last = i === rates.length - 1;
    chart.append(svg("text", { x: x(i), y: h - 8, "text-anchor": last ? "end" : "middle",
      text: d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) }));
  });
  // Receipts dashed and drawn over the sends: equal counts still show both lines.
  for (const [key, colour, dash] of [["sent", "#0b5cad", ""], ["received", "#b3541e", ""], ["receipts", "#17663a", "6 4"]]) {
    const pts = rates.map((r, i) => `${x(i).toFixed(1)},${y(r[key] || 0).toFixed(1)}`).join(" ");
    const line = svg("polyline", { points: pts, fill: "none", stroke: colour, "stroke-width": "2", "data-series": key });
    if (dash) line.setAttribute("stroke-dasharray", dash);
    chart.append(line);
  }
  const legend = el("ul", { class: "legend" },
    el("li", {}, el("span", { class: "sw sw-sent" }), "sent"),
    el("li", {}, el("span", { class: "sw sw-receipts" }), "receipts"),
    el("li", {}, el("span", { class: "sw sw-received" }), "received"));
  return el("figure", {}, chart, legend);
}

// ---------- conversations ----------

async function drawConversations(number) {
  const search = new URLSearchParams(location.hash.split("?")[1] || "").get("q") || "";
  const [list, thread] = await Promise.all([
    api("/v1/conversations" + q({ q: search, limit: 100 })),
    number ? api("/v1/conversations/" + encodeURIComponent(number) + q({ limit: 200 })) : null,
  ]);
  const items = list.conversations || [];
  const unreadTotal = items.reduce((n, t) => n + (t.unread || 0), 0);
  const badge = document.getElementById("unread-total");
  badge.hidden = unreadTotal === 0;
  badge.textContent = unreadTotal ? String(unreadTotal) : "";
  const form = el("form", { class: "filters", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    const v = ev.target.elements.q.value.trim();
    location.hash = "#/conversations" + (v ? "?q=" + encodeURIComponent(v) : "");
  } },
  el("div", { class: "field" }, el("label", { for: "thread-search", text: "Number or reference" }),
    el("input", { id: "thread-search", name: "q", type: "search", value: search })),
  el("button", { type: "submit", text: "Search" }));
  const listNode = items.length === 0
    ? el("p", { text: search ? "No thread matches." : "No one has written yet." })
    : el("ul", { class: "thread-list", id: "threads" }, items.map((t) =>
      el("li", {}, el("a", { href: "#/conversations/" + encodeURIComponent(t.number), "aria-current": t.number === number ? "true" : null },
        el("strong", { text: t.number }), " ",
        t.unread ? el("span", { class: "badge", "aria-label": `${t.unread} unread`, text: String(t.unread) }) : null,
        t.handled ? el("span", { class: "handled", text: " ✓ handled" }) : null,
        el("div", { class: "snippet" }, t.newest ? [when(t.newest.received_at), " ", t.newest.text] : "nothing received")))));
  const side = el("section", { "aria-label": "Threads" }, form, listNode);
  const main = thread ? threadView(thread) : el("section", {}, el("p", { class: "hint", text: "Choose a thread, or search for a number." }));
  setPage("conversations", number ? `Conversation with ${number}` : "Conversations",
    el("h1", { text: "Conversations" }), el("div", { class: "threads" }, side, main));
  if (thread && thread.unread > 0) {
    // Opening a thread reads it.
    api("/v1/conversations/" + encodeURIComponent(number) + "/marks", { method: "PUT", json: { read: true } })
      .then(() => scheduleRefresh()).catch(failure);
  }
}

function threadView(t) {
  const sent = new Map();
  for (const it of t.items) if (it.direction === "out") sent.set(it.message.id, it.message);
  const bubbles = el("ol", { class: "bubbles", id: "thread", "aria-label": `Messages with ${t.number}, oldest first` },
    t.items.map((it) => it.direction === "out" ? outBubble(it.message) : inBubble(it.message, sent)));
  const actions = el("div", { class: "actions" },
    el("button", { type: "button", class: "secondary", id: "mark-handled", onclick: () =>
      api("/v1/conversations/" + encodeURIComponent(t.number) + "/marks", { method: "PUT", json: { handled: !t.handled, read: true } })
        .then(() => { toast(t.handled ? "Thread reopened" : "Marked handled"); scheduleRefresh(); }).catch(failure),
    text: t.handled ? "Reopen" : "Mark handled" }));
  const reply = can("send")
    ? el("form", { id: "reply-form", onsubmit: (ev) => sendReply(ev, t) },
      el("label", { for: "reply-text", text: `Reply to ${t.number}` + (t.reply_route ? ` (through ${t.reply_modem || t.reply_route}, where they wrote)` : "") }),
      el("textarea", { id: "reply-text", name: "text", required: true, maxlength: "1600" }),
      el("div", { class: "actions" }, el("button", { type: "submit", id: "reply-send", text: "Send reply" })))
    : el("p", { class: "hint", text: "Your token has no send scope: you can read, not reply." });
  return el("section", { "aria-label": `Conversation with ${t.number}` },
    el("h2", {}, t.number, t.handled ? el("span", { class: "handled", text: " ✓ handled" }) : null),
    actions, bubbles, reply);
}

function outBubble(m) {
  const route = (m.parts || []).map((p) => p.modem || p.route).filter(Boolean)[0] || m.route;
  return el("li", { class: "bubble out", "data-id": m.id },
    el("div", { class: "body", text: m.text }),
    el("div", { class: "meta" }, when(m.created_at), " · ",
      el("a", { href: "#/messages/" + m.id }, el("span", { class: statusClass(m.status), text: m.status })),
      m.reference ? ` · ref ${m.reference}` : "", route ? ` · via ${route}` : ""));
}

function inBubble(m, sent) {
  const meta = [when(m.received_at), ` · on ${m.modem || m.route}`];
  if (m.inbound_rule) meta.push(` · rule ${m.inbound_rule}`);
  if (m.keyword) meta.push(` · keyword “${m.keyword.word}” → ${String(m.keyword.action).replace(/_/g, " ")} (${m.keyword.scope})`);
  let answers = null;
  if (m.in_reply_to) {
    const orig = sent.get(m.in_reply_to.id);
    const how = m.matched_by ? `${m.matched_by.rule}, ${Math.round(m.matched_by.confidence * 100)}% sure` : "";
    answers = el("div", { class: "answers" }, "↳ answers ",
      el("a", { href: "#/messages/" + m.in_reply_to.id, text: m.in_reply_to.reference ? `ref ${m.in_reply_to.reference}` : "a message" }),
      orig ? ` “${orig.text.length > 60 ? orig.text.slice(0, 60) + "…" : orig.text}”` : "",
      how ? ` (matched by ${how})` : "");
  } else if (m.matched_by) {
    answers = el("div", { class: "answers", text: "answers nothing sent within the reply window" });
  }
  return el("li", { class: "bubble in", "data-id": m.id }, answers,
    el("div", { class: "body", text: m.text }), el("div", { class: "meta" }, meta));
}

async function sendReply(ev, t) {
  ev.preventDefault();
  const text = ev.target.elements.text.value;
  if (!text.trim()) return;
  const button = document.getElementById("reply-send");
  button.disabled = true;
  try {
    // From the SIM the customer wrote to (pinned), else through the route it came in on.
    const body = { to: t.number, text };
    if (t.reply_modem) body.modem = t.reply_modem;
    else if (t.reply_route) body.route = t.reply_route;
    const r = await api("/v1/messages", { method: "POST", json: body });
    ev.target.reset();
    toast(`Reply accepted (${r.parts} part${r.parts === 1 ? "" : "s"})`);
    await api("/v1/conversations/" + encodeURIComponent(t.number) + "/marks", { method: "PUT", json: { read: true, handled: true } });
    await drawConversations(t.number);
  } catch (e) {
    failure(e);
    button.disabled = false;
  }
}

// ---------- messages ----------

async function drawMessages(params) {
  const p = Object.fromEntries(params.entries());
  const filter = { to: p.to, reference: p.reference, status: p.status, route: p.route, cursor: p.cursor, limit: 50 };
  for (const k of ["since", "until"]) if (p[k]) filter[k] = new Date(p[k]).toISOString();
  const page = await api("/v1/messages" + q(filter));
  const field = (id, label, input) => el("div", { class: "field" }, el("label", { for: id, text: label }), input);
  const form = el("form", { class: "filters", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    const s = new URLSearchParams();
    for (const k of ["to", "reference", "status", "route", "since", "until"]) {
      const v = ev.target.elements[k].value.trim();
      if (v) s.set(k, v);
    }
    location.hash = "#/messages" + (s.toString() ? "?" + s : "");
  } },
  field("f-to", "Number", el("input", { id: "f-to", name: "to", type: "search", value: p.to || "" })),
  field("f-ref", "Reference", el("input", { id: "f-ref", name: "reference", type: "search", value: p.reference || "" })),
  field("f-status", "Status", el("select", { id: "f-status", name: "status" }, el("option", { value: "", text: "any" }),
    STATUSES.map((s) => el("option", { value: s, selected: s === p.status, text: s })))),
  field("f-route", "Route", el("input", { id: "f-route", name: "route", type: "search", value: p.route || "" })),
  field("f-since", "From", el("input", { id: "f-since", name: "since", type: "datetime-local", value: p.since || "" })),
  field("f-until", "Until", el("input", { id: "f-until", name: "until", type: "datetime-local", value: p.until || "" })),
  el("button", { type: "submit", text: "Filter" }));
  const rows = (page.messages || []).map((m) => el("tr", { "data-id": m.id },
    el("td", {}, when(m.created_at)),
    el("td", { text: m.to }),
    el("td", { class: "text" }, el("a", { href: "#/messages/" + m.id, text: m.text.length > 80 ? m.text.slice(0, 80) + "…" : m.text })),
    el("td", { text: m.reference || "" }),
    el("td", { text: [...new Set((m.parts || []).map((x) => x.modem || x.route).filter(Boolean))].join(", ") || m.route || "" }),
    el("td", {}, el("span", { class: statusClass(m.status), text: m.status }))));
  const table = rows.length === 0 ? el("p", { text: "No message matches." }) :
    el("div", { class: "table-wrap" }, el("table", { id: "messages" },
      el("thead", {}, el("tr", {}, ["Time", "To", "Text", "Reference", "Route / SIM", "Status"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows)));
  const more = page.next_cursor ? el("p", {}, el("a", { href: "#/messages" + q(Object.assign({}, p, { cursor: page.next_cursor })), text: "Older messages →" })) : null;
  setPage("messages", "Messages", el("h1", { text: "Messages" }), form, table, more);
}

async function drawMessage(id) {
  const m = await api("/v1/messages/" + encodeURIComponent(id));
  const rows = [];
  const row = (k, v) => rows.push(el("dt", { text: k }), el("dd", {}, v));
  row("Status", el("span", { class: statusClass(m.status), text: m.status }));
  row("To", el("a", { href: "#/conversations/" + encodeURIComponent(m.to), text: m.to }));
  if (m.from) row("From", m.from);
  if (m.reference) row("Reference", m.reference);
  if (m.route) row("Route asked for", m.route);
  row("Created", when(m.created_at));
  if (m.send_at) row("Not before", when(m.send_at));
  row("Expires", when(m.expires_at));
  row("Encoding", `${m.encoding}, ${m.parts.length} part${m.parts.length === 1 ? "" : "s"}`);
  if (m.attempts && m.attempts.count) row("Attempts", `${m.attempts.count}` + (m.attempts.last_error ? ` — last error: ${m.attempts.last_error}` : ""));
  const parts = el("div", { class: "table-wrap" }, el("table", { id: "parts" },
    el("thead", {}, el("tr", {}, ["Part", "Status", "Route", "SIM", "Remote id", "Receipt / error"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, m.parts.map((p) => el("tr", {},
      el("td", { text: String(p.index) }), el("td", { text: p.status + (p.possible_duplicate ? " (possible duplicate)" : "") }),
      el("td", { text: p.route || "" }), el("td", { text: p.modem || "" }), el("td", { text: p.remote_id || "" }),
      el("td", { text: p.receipt || p.error || "" }))))));
  const history = el("ol", { id: "history" }, m.history.map((h) =>
    el("li", {}, when(h.at), " ", el("span", { class: statusClass(h.status), text: h.status }), h.reason ? ` — ${h.reason}` : "")));
  const cancellable = !FINAL.has(m.status) && m.status !== "sending" && m.status !== "sent";
  const cancel = cancellable && can("send") ? el("button", { type: "button", class: "danger", id: "cancel", onclick: async () => {
    if (!confirm("Cancel this message? It will not be sent.")) return;
    try {
      await api("/v1/messages/" + encodeURIComponent(id), { method: "DELETE" });
      toast("Message canceled");
      await drawMessage(id);
    } catch (e) { failure(e); }
  }, text: "Cancel message" }) : null;
  setPage("messages", "Message " + id, el("p", {}, el("a", { href: "#/messages", text: "← Messages" })),
    el("h1", { text: "Message " + id }), el("div", { class: "pre", id: "message-text", text: m.text }),
    el("div", { class: "actions" }, cancel), el("dl", { class: "kv" }, rows),
    el("h2", { text: "Parts" }), parts, el("h2", { text: "History" }), history);
}

// ---------- suppressions ----------

async function drawSuppressions() {
  const list = await api("/v1/suppressions" + q({ limit: 500 }));
  const admin = can("admin");
  const rows = (list.suppressions || []).map((s) => el("tr", {},
    el("td", { text: s.number }), el("td", { text: s.scope }), el("td", { text: s.source || "" }),
    el("td", { text: s.note || "" }), el("td", {}, when(s.at || s.created_at)),
    el("td", {}, admin ? el("button", { type: "button", class: "secondary", "aria-label": `Remove ${s.number}`, onclick: async () => {
      try {
        await api("/v1/suppressions/" + encodeURIComponent(s.number) + q({ scope: s.scope }), { method: "DELETE" });
        toast(`${s.number} removed`);
        await drawSuppressions();
      } catch (e) { failure(e); }
    }, text: "Remove" }) : "")));
  const add = admin ? el("form", { class: "filters", id: "add-suppression", onsubmit: async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    try {
      await api("/v1/suppressions/" + encodeURIComponent(f.number.value.trim()), { method: "PUT",
        json: { scope: f.scope.value.trim() || undefined, note: f.note.value.trim() || undefined } });
      toast(`${f.number.value} added`);
      ev.target.reset();
      await drawSuppressions();
    } catch (e) { failure(e); }
  } },
  el("div", { class: "field" }, el("label", { for: "s-number", text: "Number" }), el("input", { id: "s-number", name: "number", required: true })),
  el("div", { class: "field" }, el("label", { for: "s-scope", text: "Scope (global or a sender)" }), el("input", { id: "s-scope", name: "scope", placeholder: "global" })),
  el("div", { class: "field" }, el("label", { for: "s-note", text: "Note" }), el("input", { id: "s-note", name: "note" })),
  el("button", { type: "submit", text: "Add" })) : el("p", { class: "hint", text: "Changing the list needs the admin scope." });
  const importer = admin ? el("form", { class: "filters", id: "import-suppressions", onsubmit: async (ev) => {
    ev.preventDefault();
    const file = ev.target.elements.csv.files[0];
    if (!file) return;
    try {
      const r = await api("/v1/suppressions.csv", { method: "POST", body: await file.text(), contentType: "text/csv" });
      toast(`Imported ${r.imported} entr${r.imported === 1 ? "y" : "ies"}`);
      await drawSuppressions();
    } catch (e) { failure(e); }
  } },
  el("div", { class: "field" }, el("label", { for: "s-csv", text: "Import a CSV file" }), el("input", { id: "s-csv", name: "csv", type: "file", accept: ".csv,text/csv" })),
  el("button", { type: "submit", text: "Import" })) : null;
  setPage("suppressions", "Suppressions", el("h1", { text: "Suppressions" }),
    el("p", { class: "hint", text: "Numbers on this list get no non-transactional message (from anyone, or from one sender)." }),
    add, importer, el("p", {}, el("a", { href: "/v1/suppressions.csv", download: "suppressions.csv", text: "Export as CSV" })),
    rows.length === 0 ? el("p", { text: "The list is empty." }) : el("div", { class: "table-wrap" }, el("table", { id: "suppressions" },
      el("thead", {}, el("tr", {}, ["Number", "Scope", "Source", "Note", "Since", ""].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows))));
}

// ---------- webhooks ----------

async function drawWebhooks() {
  if (!can("admin")) {
    setPage("webhooks", "Webhooks", el("h1", { text: "Webhooks" }), el("p", { text: "Webhook administration needs the admin scope." }));
    return;
  }
  const list = await api("/v1/webhooks");
  const targets = list.webhooks || [];
  const sections = await Promise.all(targets.map(async (t) => {
    const dead = (await api("/v1/webhooks/" + encodeURIComponent(t.name) + "/dead-letters" + q({ limit: 100 }))).dead_letters || [];
    const replayAll = dead.length ? el("button", { type: "button", id: `replay-all-${t.name}`, onclick: () => replay(t.name, null), text: `Replay all ${dead.length}` }) : null;
    return el("section", { class: "card", "data-target": t.name },
      el("h2", { text: t.name }),
      el("p", { text: `${t.pending} waiting · ${t.dead} dead · ${t.delivered} delivered · ${t.failed_attempts} failed attempts since start` }),
      dead.length === 0 ? el("p", { class: "hint", text: "No dead letters." }) : el("div", { class: "table-wrap" }, el("table", { class: "dead-letters" },
        el("thead", {}, el("tr", {}, ["Event", "Message", "Attempts", "Last error", ""].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, dead.map((d) => el("tr", {},
          el("td", { text: `${d.seq} ${d.kind}` }),
          el("td", {}, el("a", { href: "#/messages/" + d.message_id, text: d.message_id })),
          el("td", { text: String(d.attempts) }),
          el("td", { text: d.last_error || "" }),
          el("td", {}, el("button", { type: "button", class: "secondary", "aria-label": `Replay event ${d.seq}`, onclick: () => replay(t.name, d.seq), text: "Replay" }))))))),
      el("div", { class: "actions" }, replayAll));
  }));
  setPage("webhooks", "Webhooks", el("h1", { text: "Webhooks" }),
    targets.length === 0 ? el("p", { text: "No webhook targets configured." }) : sections);
}

async function replay(target, seq) {
  const path = "/v1/webhooks/" + encodeURIComponent(target) + "/dead-letters/" + (seq === null ? "replay" : seq + "/replay");
  try {
    const r = await api(path, { method: "POST" });
    toast(seq === null ? `Replayed ${r.replayed}` : `Event ${seq} replayed`);
    await drawWebhooks();
  } catch (e) { failure(e); }
}

// ---------- routing and live updates ----------

async function route() {
  const hash = location.hash || "#/overview";
  const [path, query] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || "");
  try {
    switch (parts[0]) {
      case "conversations": app.refresh = () => drawConversations(parts[1]); break;
      case "messages": app.refresh = parts[1] ? () => drawMessage(parts[1]) : () => drawMessages(params); break;
      case "suppressions": app.refresh = drawSuppressions; break;
      case "webhooks": app.refresh = drawWebhooks; break;
      default: app.refresh = drawOverview;
    }
    await app.refresh();
  } catch (e) { failure(e); }
}

// Redraws the page after events touching it: at most every 2 s whatever the gateway's rate
// (each redraw is one API read). What someone is typing survives it (setPage).
const REFRESH_EVERY_MS = 2000;

function scheduleRefresh() {
  if (app.page === "overview" || !app.refresh || app.refreshTimer) return;
  const wait = Math.max(400, REFRESH_EVERY_MS - (Date.now() - (app.refreshedAt || 0)));
  app.refreshTimer = setTimeout(() => {
    app.refreshTimer = 0;
    app.refreshedAt = Date.now();
    Promise.resolve(app.refresh()).catch(failure);
  }, wait);
}

function listen() {
  const live = document.getElementById("live");
  const source = new EventSource("/v1/console/stream");
  source.addEventListener("open", () => { live.textContent = "live"; live.classList.add("on"); });
  source.addEventListener("error", () => {
    live.textContent = "reconnecting…";
    live.classList.remove("on");
    // The browser gives up on a stream the gateway refused (signed out, session expired):
    // asking for the session leads to the sign-in form then.
    if (source.readyState === EventSource.CLOSED) api("/v1/console/session").catch(failure);
  });
  source.addEventListener("overview", (ev) => {
    app.overview = JSON.parse(ev.data);
    if (app.page === "overview") drawOverview();
  });
  source.addEventListener("message", () => scheduleRefresh());
  source.addEventListener("lagged", () => scheduleRefresh());
}

async function start() {
  try {
    app.me = await api("/v1/console/session");
  } catch (e) {
    failure(e);
    return;
  }
  document.getElementById("actor").textContent = app.me.actor;
  const out = document.getElementById("sign-out");
  if (app.me.csrf) {
    out.hidden = false;
    out.addEventListener("click", async () => {
      try { await api("/v1/console/sign-out", { method: "POST" }); } catch (_) { /* signed out anyway */ }
      location.assign("/console/sign-in");
    });
  }
  window.addEventListener("hashchange", route);
  listen();
  await route();
}

document.addEventListener("DOMContentLoaded", start);
