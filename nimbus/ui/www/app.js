// The pages of gale-ui: plain JavaScript over the REST API (REST.md), no
// library and no build step. Every page polls its endpoints every 2 seconds
// and redraws, so it stays current without a reload.
"use strict";

const REFRESH_MS = 2000;
const params = new URLSearchParams(location.search);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c ?? ""));
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : String(c));
  return node;
}

async function api(path, options) {
  const response = await fetch("/api/v1/" + path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.errorMessage || response.status + " " + response.statusText);
  return body;
}

// A table: `columns` are [title, field-name]; each row is an array of cells
// (text or nodes) in the same order. Cells carry data-field for tests.
function fillTable(id, columns, rows, empty) {
  const table = document.getElementById(id);
  table.replaceChildren();
  table.append(el("tr", {}, ...columns.map(([title]) => el("th", {}, title))));
  if (rows.length === 0) {
    table.append(el("tr", {}, el("td", { colSpan: columns.length, class: "empty" }, empty || "none")));
    return;
  }
  for (const row of rows) {
    table.append(el("tr", {}, ...row.map((cell, i) => el("td", { "data-field": columns[i][1] }, cell))));
  }
}

function keyValueTable(id, pairs) {
  fillTable(id, [["", "key"], ["", "value"]], pairs);
  document.getElementById(id).querySelector("tr").remove();
}

function pad(n) { return String(n).padStart(2, "0"); }

// Local time, ISO 8601 with the offset, and how long ago.
function when(secs) {
  if (!secs) return "";
  const d = new Date(secs * 1000);
  const off = -d.getTimezoneOffset();
  const zone = (off >= 0 ? "+" : "-") + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
  const iso = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
    pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + zone;
  const ago = Math.max(0, Math.round(Date.now() / 1000 - secs));
  return iso + " (" + pretty(ago) + " ago)";
}

function pretty(secs) {
  const d = Math.floor(secs / 86400), h = Math.floor(secs / 3600) % 24, m = Math.floor(secs / 60) % 60;
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d || h || m ? m + "m " : "") + (secs % 60) + "s";
}

function num(n) { return Number(n || 0).toLocaleString("en-US"); }

function setStatus(text, bad) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = "status" + (bad ? " bad" : "");
}

function poll(render) {
  const tick = async () => {
    try {
      await render();
      setStatus("updated " + new Date().toLocaleTimeString());
    } catch (e) {
      setStatus(e.message, true);
    }
    setTimeout(tick, REFRESH_MS);
  };
  tick();
}

function topologyLink(t) { return el("a", { href: "topology.html?id=" + encodeURIComponent(t.id) }, t.name); }

// ------------------------------------------------------------- cluster page

async function renderCluster() {
  const [c, topologies, supervisors] = await Promise.all([
    api("cluster/summary"), api("topology/summary"), api("supervisor/summary")]);
  document.getElementById("version").textContent = "version " + c.galeVersion;
  keyValueTable("cluster-summary", [
    ["Nimbus uptime", c.nimbusUptime], ["Supervisors", c.supervisors],
    ["Slots used / total", c.slotsUsed + " / " + c.slotsTotal], ["Slots free", c.slotsFree],
    ["Topologies", c.topologies], ["Executors", c.executorsTotal], ["Tasks", c.tasksTotal]]);
  fillTable("topologies", [["Name", "name"], ["Id", "id"], ["Status", "status"], ["Uptime", "uptime"],
    ["Workers", "workers"], ["Executors", "executors"], ["Tasks", "tasks"]],
  topologies.topologies.map((t) => [topologyLink(t), t.id, t.status, t.uptime, t.workersTotal,
    t.executorsTotal, t.tasksTotal]), "no topology running");
  fillTable("supervisors", [["Id", "id"], ["Host", "host"], ["Uptime", "uptime"], ["Slots", "slots"],
    ["Used", "used"], ["Ports", "ports"]],
  supervisors.supervisors.map((s) => [s.id, s.host, s.uptime, s.slotsTotal, s.slotsUsed, s.ports.join(", ")]),
  "no supervisor alive");
}

// ------------------------------------------------------------ topology page

const rates = { last: null, at: 0, perSec: {} };

// Emitted-per-second of each component since the previous refresh.
function updateRates(viz) {
  const now = Date.now();
  if (rates.last && now > rates.at) {
    for (const [id, c] of Object.entries(viz)) {
      const before = rates.last[id];
      if (before) rates.perSec[id] = Math.max(0, (c[":emitted"] - before[":emitted"]) * 1000 / (now - rates.at));
    }
  }
  rates.last = Object.fromEntries(Object.entries(viz).map(([id, c]) => [id, { ":emitted": c[":emitted"] }]));
  rates.at = now;
}

function capacityColour(cap) {
  const c = Math.max(0, Math.min(1, Number(cap) || 0));
  return "hsl(" + Math.round(120 * (1 - c)) + ", 65%, 78%)";
}

// Layers by longest path from the spouts; nodes spread evenly per layer.
function drawGraph(viz) {
  const ids = Object.keys(viz);
  const layer = {};
  const inputsOf = (id) => viz[id][":inputs"].map((i) => i[":component"]).filter((s) => s in viz);
  for (let round = 0; round <= ids.length; round++) {
    for (const id of ids) {
      const from = inputsOf(id).filter((s) => s !== id);
      layer[id] = from.length ? Math.min(ids.length, 1 + Math.max(...from.map((s) => layer[s] || 0))) : 0;
    }
  }
  const layers = [];
  for (const id of ids) (layers[layer[id]] = layers[layer[id]] || []).push(id);
  const W = 170, H = 64, GX = 150, GY = 30;
  const rows = Math.max(1, ...layers.filter(Boolean).map((l) => l.length));
  const width = layers.length * (W + GX) + 20, height = rows * (H + GY) + 20;
  const pos = {};
  layers.forEach((ids_, x) => (ids_ || []).forEach((id, y) => {
    const offset = (rows - ids_.length) * (H + GY) / 2;
    pos[id] = { x: 10 + x * (W + GX), y: 10 + offset + y * (H + GY) };
  }));
  const root = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height, role: "img" });
  root.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 8, markerHeight: 8, orient: "auto" }, svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#555" }))));
  for (const id of ids) {
    for (const input of viz[id][":inputs"]) {
      const from = pos[input[":component"]], to = pos[id];
      if (!from || !to) continue;
      const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x, y2 = to.y + H / 2;
      const rate = rates.perSec[input[":component"]];
      root.append(svg("g", { class: "edge", "data-from": input[":component"], "data-to": id },
        svg("path", { d: `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}`,
          fill: "none", stroke: "#555", "marker-end": "url(#arrow)" }),
        svg("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, "text-anchor": "middle", class: "edge-label" },
          input[":stream"] + " · " + input[":grouping"] + (rate !== undefined ? " · " + Math.round(rate) + "/s" : ""))));
    }
  }
  for (const id of ids) {
    const c = viz[id], p = pos[id];
    const spout = c[":type"] === "spout";
    const detail = spout ? "emitted " + num(c[":emitted"]) : "capacity " + Number(c[":capacity"]).toFixed(3);
    const rate = rates.perSec[id] !== undefined ? " · " + Math.round(rates.perSec[id]) + "/s" : "";
    const link = svg("a", { href: "component.html?topology=" + encodeURIComponent(params.get("id")) +
      "&component=" + encodeURIComponent(id) });
    link.append(
      svg(spout ? "rect" : "rect", { x: p.x, y: p.y, width: W, height: H, rx: spout ? 28 : 6,
        fill: spout ? "#cfe3ff" : capacityColour(c[":capacity"]), stroke: c[":errors"] ? "#c00" : "#333" }),
      svg("text", { x: p.x + W / 2, y: p.y + 24, "text-anchor": "middle", class: "node-name" }, id),
      svg("text", { x: p.x + W / 2, y: p.y + 44, "text-anchor": "middle", class: "node-detail" }, detail + rate));
    root.append(svg("g", { class: "node " + (spout ? "spout" : "bolt"), "data-component": id,
      "data-emitted": c[":emitted"], "data-capacity": c[":capacity"] }, link));
  }
  document.getElementById("graph").replaceChildren(root);
}

// A POST; with authentication on, as the user of the token asked for once
// per browser tab (kept in sessionStorage), and asked again when refused.
async function post(path) {
  for (let attempt = 0; ; ++attempt) {
    const headers = { "Content-Type": "application/json" };
    const auth = sessionStorage.getItem("gale.auth");
    if (auth) headers.Authorization = "Bearer " + auth;
    const response = await fetch("/api/v1/" + path, { method: "POST", headers, body: "{}" });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 && attempt < 2) {
      const entered = prompt("This cluster needs authentication: USER:TOKEN of a submitter or admin" +
        " (" + (body.errorMessage || "401") + ")");
      if (!entered) throw new Error(body.errorMessage || "401 Unauthorized");
      sessionStorage.setItem("gale.auth", entered.trim());
      continue;
    }
    if (!response.ok) throw new Error(body.errorMessage || response.status + " " + response.statusText);
    return body;
  }
}

async function act(id, op) {
  const wait = document.getElementById("wait").value || "0";
  if (op === "kill" && !confirm("Kill topology " + id + "?")) return;
  const out = document.getElementById("action-result");
  try {
    const path = "topology/" + encodeURIComponent(id) + "/" + op + (op === "kill" || op === "rebalance" ? "/" + wait : "");
    const r = await post(path);
    out.textContent = r.topologyOperation + ": " + r.status;
    out.className = "ok";
  } catch (e) {
    out.textContent = op + " failed: " + e.message;
    out.className = "bad";
  }
}

async function renderTopology() {
  const id = params.get("id");
  const window_ = document.getElementById("window").value;
  const q = "?window=" + encodeURIComponent(window_);
  const [t, viz] = await Promise.all([api("topology/" + encodeURIComponent(id) + q),
    api("topology/" + encodeURIComponent(id) + "/visualization" + q)]);
  document.getElementById("title").textContent = "Topology " + t.name;
  document.title = "Gale: " + t.name;
  keyValueTable("topology-summary", [["Id", t.id], ["Status", t.status], ["Uptime", t.uptime],
    ["Workers", t.workersTotal], ["Executors", t.executorsTotal], ["Tasks", t.tasksTotal],
    ["Message timeout", t.msgTimeout + " s"]]);
  fillTable("topology-stats", [["Window", "window"], ["Emitted", "emitted"], ["Transferred", "transferred"],
    ["Complete latency (ms)", "completeLatency"], ["Acked", "acked"], ["Failed", "failed"]],
  t.topologyStats.map((s) => [s.windowPretty, num(s.emitted), num(s.transferred), s.completeLatency,
    num(s.acked), num(s.failed)]));
  updateRates(viz);
  drawGraph(viz);
  const compLink = (c) => el("a", { href: "component.html?topology=" + encodeURIComponent(t.id) +
    "&component=" + encodeURIComponent(c) }, c);
  const lastError = (c) => c.lastError ? el("span", { class: "bad" }, c.lastError + " · " + when(c.errorTime)) : "";
  fillTable("spouts", [["Id", "id"], ["Executors", "executors"], ["Tasks", "tasks"], ["Emitted", "emitted"],
    ["Transferred", "transferred"], ["Complete latency (ms)", "completeLatency"], ["Acked", "acked"],
    ["Failed", "failed"], ["Last error", "lastError"]],
  t.spouts.map((s) => [compLink(s.spoutId), s.executors, s.tasks, num(s.emitted), num(s.transferred),
    s.completeLatency, num(s.acked), num(s.failed), lastError(s)]));
  fillTable("bolts", [["Id", "id"], ["Executors", "executors"], ["Tasks", "tasks"], ["Emitted", "emitted"],
    ["Transferred", "transferred"], ["Capacity", "capacity"], ["Execute latency (ms)", "executeLatency"],
    ["Executed", "executed"], ["Process latency (ms)", "processLatency"], ["Acked", "acked"],
    ["Failed", "failed"], ["Queue", "queueDepth"], ["Backpressure (ms)", "backpressureMs"], ["Last error", "lastError"]],
  t.bolts.map((b) => [compLink(b.boltId), b.executors, b.tasks, num(b.emitted), num(b.transferred),
    el("span", { class: "capacity", style: "background:" + capacityColour(b.capacity) }, b.capacity),
    b.executeLatency, num(b.executed), b.processLatency, num(b.acked), num(b.failed), num(b.queueDepth),
    num(b.backpressureMs), lastError(b)]));
  fillTable("workers", [["Worker", "worker"], ["Supervisor", "supervisor"], ["Uptime", "uptime"],
    ["Executors", "executors"], ["Tasks per component", "tasks"]],
  t.workers.map((w) => [el("a", { href: w.workerLogLink }, w.host + ":" + w.port), w.supervisorId, w.uptime, w.executorsTotal,
    Object.entries(w.componentNumTasks).map(([c, n]) => c + " " + n).join(", ")]));
  fillTable("deaths", [["Worker", "worker"], ["Deaths", "count"], ["Last death", "reason"], ["Cause", "cause"],
    ["In", "place"], ["When", "time"]],
  t.workerDeaths.map((d) => [d.host + ":" + d.port, d.count, d.lastReason,
    el("pre", {}, d.lastCause + (d.lastStack ? "\n" + d.lastStack.split("\n").slice(0, 12).join("\n") : "")),
    d.lastComponent ? d.lastComponent + (d.lastTask >= 0 ? " task " + d.lastTask : "") : "", when(d.lastTime)]),
  "no worker died");
  fillTable("errors", [["Component", "component"], ["Error", "error"], ["Place", "place"], ["When", "time"]],
    t.topologyErrors.map((e) => [compLink(e.component), el("pre", {}, e.error + (e.count > 1 ? "  (x" + e.count + ")" : "")),
      e.errorHost + ":" + e.errorPort + (e.task !== undefined ? " task " + e.task : ""), when(e.errorTime)]),
    "no errors");
  keyValueTable("configuration", Object.entries(t.configuration).map(([k, v]) => [k, JSON.stringify(v)]));
}

function setUpTopology() {
  const id = params.get("id");
  for (const op of ["activate", "deactivate", "rebalance", "kill"]) {
    document.getElementById(op).addEventListener("click", () => act(id, op));
  }
  document.getElementById("window").addEventListener("change", () => { rates.last = null; });
  poll(renderTopology);
}

// ----------------------------------------------------------- component page

async function renderComponent() {
  const topology = params.get("topology"), component = params.get("component");
  const window_ = document.getElementById("window").value;
  const c = await api("topology/" + encodeURIComponent(topology) + "/component/" +
    encodeURIComponent(component) + "?window=" + encodeURIComponent(window_));
  document.getElementById("title").replaceChildren("Component " + c.id + " of ",
    el("a", { href: "topology.html?id=" + encodeURIComponent(c.topologyId) }, c.name));
  const spout = c.componentType === "spout";
  const summary = spout ? c.spoutSummary : c.boltStats;
  fillTable("component-stats", spout
    ? [["Window", "window"], ["Emitted", "emitted"], ["Transferred", "transferred"],
      ["Complete latency (ms)", "completeLatency"], ["Acked", "acked"], ["Failed", "failed"]]
    : [["Window", "window"], ["Emitted", "emitted"], ["Transferred", "transferred"], ["Executed", "executed"],
      ["Execute latency (ms)", "executeLatency"], ["Process latency (ms)", "processLatency"],
      ["Capacity", "capacity"], ["Acked", "acked"], ["Failed", "failed"]],
  summary.map((s) => spout
    ? [s.windowPretty, num(s.emitted), num(s.transferred), s.completeLatency, num(s.acked), num(s.failed)]
    : [s.windowPretty, num(s.emitted), num(s.transferred), num(s.executed), s.executeLatency,
      s.processLatency, s.capacity, num(s.acked), num(s.failed)]));
  fillTable("inputs", [["From", "component"], ["Stream", "stream"], ["Executed", "executed"],
    ["Execute latency (ms)", "executeLatency"], ["Process latency (ms)", "processLatency"],
    ["Acked", "acked"], ["Failed", "failed"]],
  (c.inputStats || []).map((i) => [i.component, i.stream, num(i.executed), i.executeLatency,
    i.processLatency, num(i.acked), num(i.failed)]), spout ? "a spout has no inputs" : "none yet");
  fillTable("outputs", [["Stream", "stream"], ["Emitted", "emitted"], ["Transferred", "transferred"]],
    c.outputStats.map((o) => [o.stream, num(o.emitted), num(o.transferred)]), "none yet");
  fillTable("executors", [["Tasks", "id"], ["Worker", "worker"], ["Uptime", "uptime"], ["Emitted", "emitted"],
    ["Transferred", "transferred"], [spout ? "Complete latency (ms)" : "Capacity", "capacity"],
    [spout ? "Acked" : "Executed", "executed"], ["Failed", "failed"], ["Queue", "queueDepth"],
    ["Thread", "chainedTo"]],
  c.executorStats.map((e) => [e.id, el("a", { href: e.workerLogLink }, e.host + ":" + e.port), e.uptime, num(e.emitted), num(e.transferred),
    spout ? e.completeLatency : e.capacity, num(spout ? e.acked : e.executed), num(e.failed), num(e.queueDepth),
    e.chainedTo ? "chained to " + e.chainedTo : "its own"]));
  const metrics = [];
  for (const e of c.executorStats) {
    for (const m of e.metrics || []) metrics.push([e.id, m.name, m.type, m.value]);
  }
  fillTable("metrics", [["Tasks", "task"], ["Metric", "name"], ["Type", "type"], ["Value", "value"]], metrics);
  fillTable("errors", [["Error", "error"], ["Place", "place"], ["When", "time"]],
    c.componentErrors.map((e) => [el("pre", {}, e.error + (e.count > 1 ? "  (x" + e.count + ")" : "")),
      e.errorHost + ":" + e.errorPort + (e.task !== undefined ? " task " + e.task : ""), when(e.errorTime)]),
    "no errors");
}

// -------------------------------------------------------------- log page

// The tail of a worker's log, then what is appended (read from the offset
// reached; a log that shrank was rotated and is read from its start).
const logState = { offset: -1, text: "" };
const LOG_KEEP = 512 * 1024;

async function renderLog() {
  const topology = params.get("topology"), worker = params.get("worker");
  document.getElementById("title").replaceChildren("Log of worker " + worker + " of ",
    el("a", { href: "topology.html?id=" + encodeURIComponent(topology) }, topology));
  if (logState.offset >= 0 && !document.getElementById("follow").checked) return;
  const range = logState.offset < 0 ? "&length=262144" : "&start=" + logState.offset + "&length=1048576";
  const r = await api("topology/" + encodeURIComponent(topology) + "/logs?worker=" +
    encodeURIComponent(worker) + range);
  if (r.size < logState.offset) {  // rotated
    logState.offset = 0;
    return;
  }
  let data = r.data;
  if (logState.offset < 0 && r.start > 0) data = data.slice(data.indexOf("\n") + 1);
  logState.offset = r.start + new TextEncoder().encode(r.data).length;  // bytes, not characters
  logState.text = (logState.text + data).slice(-LOG_KEEP);
  document.getElementById("log-file").textContent = r.file + ", " + num(r.size) + " bytes, on " + r.supervisorId;
  showLog();
}

function showLog() {
  const filter = document.getElementById("filter").value;
  const lines = logState.text.split("\n").filter((l) => !filter || l.includes(filter));
  const pre = document.getElementById("log");
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.textContent = lines.join("\n");
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "cluster") poll(renderCluster);
  if (page === "topology") setUpTopology();
  if (page === "component") poll(renderComponent);
  if (page === "log") {
    document.getElementById("filter").addEventListener("input", showLog);
    poll(renderLog);
  }
});
