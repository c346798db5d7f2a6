// posture-hub dashboard: live view over a WebSocket, commands and history over the JSON API.
// No framework, no build step; docs/dashboard.md describes the API this talks to.
"use strict";

const BAND_COLORS = {
  extended: "#5c8dd6", neutral: "#43a047", mild: "#c0ca33", moderate: "#fb8c00",
  severe: "#e53935", walking: "#90a4ae", lying: "#9575cd", "no data": "#eceff1",
};
const BAND_EDGES = [[-30, -10, "extended"], [-10, 10, "neutral"], [10, 20, "mild"],
  [20, 60, "moderate"], [60, 90, "severe"]];
const GAUGE_MIN = -30, GAUGE_MAX = 90, LIVE_SPAN_S = 300;

const token = new URLSearchParams(location.search).get("token");
const $ = (id) => document.getElementById(id);
const live = { states: {}, telemetry: {}, online: null, mqtt: false, prompt: null, skew: 0 };
let info = { wearer: "", codes: {} };
let promptShownAt = 0;
let drawPending = false;

// -- helpers --------------------------------------------------------------------------------

function withToken(path) {
  if (!token) return path;
  return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function text(id, value) { $(id).textContent = value === null || value === undefined ? "–" : value; }

function duration(s) {
  if (s === null || s === undefined) return "–";
  if (s < 60) return Math.round(s) + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
}

function clock(ts, dayStart) {
  const s = Math.max(0, Math.round(ts - dayStart));
  return String(Math.floor(s / 3600)).padStart(2, "0") + ":" +
    String(Math.floor((s % 3600) / 60)).padStart(2, "0");
}

function now() { return Date.now() / 1000 + live.skew; }

function primary() {
  if (live.telemetry.lumbar || live.states.lumbar) return "lumbar";
  const keys = Object.keys(live.telemetry).concat(Object.keys(live.states));
  return keys.length ? keys[0] : "lumbar";
}

// -- live -----------------------------------------------------------------------------------

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(withToken(proto + "//" + location.host + "/api/ws"));
  ws.onmessage = (event) => handle(JSON.parse(event.data));
  ws.onclose = () => { setConnection(false); setTimeout(connect, 2000); };
  ws.onerror = () => ws.close();
}

function handle(update) {
  if (update.type === "snapshot") {
    live.states = update.states; live.telemetry = update.telemetry; live.online = update.online;
    live.mqtt = update.mqtt_connected; live.skew = update.server_time - Date.now() / 1000;
    (update.events || []).forEach(addEvent);
    if (update.prompt) showPrompt(update.prompt); else hidePrompt();
  } else if (update.type === "telemetry") {
    const d = update.data;
    const list = live.telemetry[d.sensor] || (live.telemetry[d.sensor] = []);
    list.push(d);
    while (list.length && list[0].ts < d.ts - LIVE_SPAN_S) list.shift();
    live.mqtt = true;
  } else if (update.type === "state") {
    live.states[update.data.sensor] = update.data;
  } else if (update.type === "availability") {
    live.online = update.online;
  } else if (update.type === "event") {
    addEvent(update.data);
    if (update.data.event_type === "prompt") { showPrompt(update.data); notify(update.data); }
    if (update.data.event_type === "prompt_answered" && live.prompt &&
        live.prompt.prompt_id === update.data.prompt_id) hidePrompt();
  } else if (update.type === "reply") {
    const r = update.data;
    if (!String(r.id || "").startsWith("dash-")) return;
    text("action-status", r.command + ": " + (r.ok ? "done by the hub" : r.error.message));
  }
  setConnection(true);
  scheduleDraw();
}

function setConnection(open) {
  const chip = $("connection");
  const good = open && live.mqtt && live.online !== false;
  chip.className = "chip " + (good ? "ok" : "bad");
  chip.textContent = !open ? "dashboard offline" : !live.mqtt ? "broker unreachable"
    : live.online === false ? "hub offline" : "live";
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; drawLive(); });
}

// Where the hub's forward direction comes from (the state's forward_axis and mount_yaw_deg);
// until it is learned, the one movement that teaches it.
const FORWARD_AXIS_SOURCES = { bends: "learned from bends", walking: "learned from walking" };
const FORWARD_AXIS_HINT = "not learned yet — lean forward once, slowly, and come back";

function forwardAxisText(state) {
  if (!state || !state.forward_axis) return null;  // nothing known yet, or an older hub
  const source = FORWARD_AXIS_SOURCES[state.forward_axis];
  if (!source) return FORWARD_AXIS_HINT;
  const yaw = typeof state.mount_yaw_deg === "number" ? Math.round(state.mount_yaw_deg) : null;
  return yaw === null ? source : source + " (" + (yaw < 0 ? "−" + -yaw : "+" + yaw) + "°)";
}

function drawLive() {
  const sensor = primary();
  text("sensor-name", sensor);
  const series = live.telemetry[sensor] || [];
  const last = series.length ? series[series.length - 1] : null;
  const state = live.states[sensor] || null;
  const flexion = last ? last.flexion_deg : state ? state.flexion_deg : null;
  text("flexion-value", flexion === null || flexion === undefined ? null : flexion.toFixed(1));
  const angle = Math.max(GAUGE_MIN, Math.min(GAUGE_MAX, flexion || 0));
  const a = Math.PI * (1 - (angle - GAUGE_MIN) / (GAUGE_MAX - GAUGE_MIN));
  const needle = $("gauge-needle");
  needle.setAttribute("x2", (100 + 75 * Math.cos(a)).toFixed(1));
  needle.setAttribute("y2", (100 - 75 * Math.sin(a)).toFixed(1));
  text("activity", last ? last.activity : state && state.activity);
  text("band", last ? last.band : state && state.band);
  text("calibration", last ? last.calibration : state && state.calibration);
  text("forward-axis", forwardAxisText(state));
  const relative = last && typeof last.relative_flexion_deg === "number" ? last.relative_flexion_deg : null;
  text("relative", relative === null ? null : relative.toFixed(1) + "°");
  text("posture", state && state.posture);
  text("link", state ? (state.connected ? "connected" : "disconnected") : null);
  text("battery", state && state.battery_pct !== null ? state.battery_pct + " %" : null);
  text("hub", live.online === null ? null : live.online ? "online" : "offline");
  drawLiveTimeline(series);
  tickAge();
}

function drawLiveTimeline(series) {
  const canvas = $("live-timeline"), ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, end = now(), start = end - LIVE_SPAN_S;
  ctx.clearRect(0, 0, w, h);
  const y = (deg) => h - ((Math.max(GAUGE_MIN, Math.min(GAUGE_MAX, deg)) - GAUGE_MIN) /
    (GAUGE_MAX - GAUGE_MIN)) * h;
  for (const [low, high, band] of BAND_EDGES) {
    ctx.fillStyle = BAND_COLORS[band] + "22";
    ctx.fillRect(0, y(high), w, y(low) - y(high));
  }
  ctx.strokeStyle = "#1d2430"; ctx.lineWidth = 2; ctx.beginPath();
  let started = false, previous = null;
  for (const d of series) {
    if (d.flexion_deg === null || d.ts < start) continue;
    const x = ((d.ts - start) / LIVE_SPAN_S) * w;
    if (!started || d.ts - previous > 2) ctx.moveTo(x, y(d.flexion_deg)); else ctx.lineTo(x, y(d.flexion_deg));
    started = true; previous = d.ts;
  }
  ctx.stroke();
  ctx.fillStyle = "#6b7480"; ctx.font = "12px sans-serif";
  ctx.fillText("-5 min", 4, h - 4); ctx.fillText("now", w - 28, h - 4);
}

function tickAge() {
  const sensor = primary();
  const series = live.telemetry[sensor] || [];
  const state = live.states[sensor];
  let age = null;
  if (series.length) age = Math.max(0, now() - series[series.length - 1].ts);
  else if (state && state.data_age_s !== null) age = state.data_age_s + Math.max(0, now() - state.ts);
  text("data-age", age === null ? null : age < 10 ? age.toFixed(1) + " s" : duration(age));
  if (live.prompt) tickPrompt();
}

function addEvent(e) {
  const li = document.createElement("li");
  const when = new Date(e.ts * 1000).toLocaleTimeString();
  let what = e.event_type.replace(/_/g, " ");
  if (e.event_type === "prompt") what += ": " + ((e.detail && e.detail.name) || e.move_id);
  if (e.event_type === "prompt_answered") what += ": " + e.answer;
  if (e.peak_deg !== undefined && e.peak_deg !== null) what += " (peak " + e.peak_deg.toFixed(0) + "°)";
  li.textContent = when + " — " + what;
  const list = $("events");
  list.prepend(li);
  while (list.children.length > 50) list.lastChild.remove();
}

// -- prompts and commands -------------------------------------------------------------------

function showPrompt(p) {
  const d = p.detail || {};
  live.prompt = p;
  promptShownAt = Date.now() / 1000;
  text("prompt-name", d.name || p.move_id);
  text("prompt-why", d.why || p.reason);
  const steps = $("prompt-steps");
  steps.replaceChildren();
  String(d.steps || "").split("\n").filter(Boolean).forEach((s) => {
    const li = document.createElement("li"); li.textContent = s; steps.append(li);
  });
  $("prompt-dose").textContent = d.dose || "";
  $("prompt-safety").textContent = d.safety || "";
  $("prompt-banner").hidden = false;
  tickPrompt();
}

function tickPrompt() {
  const d = (live.prompt && live.prompt.detail) || {};
  const elapsed = Date.now() / 1000 - promptShownAt;
  if (typeof d.duration_s === "number" && d.duration_s > 0) {
    const left = Math.max(0, d.duration_s - elapsed);
    text("prompt-timer", left > 0 ? "hold " + Math.ceil(left) + " s" : "time's up");
  } else {
    text("prompt-timer", Math.floor(elapsed / 60) + ":" + String(Math.floor(elapsed % 60)).padStart(2, "0"));
  }
}

function hidePrompt() { live.prompt = null; $("prompt-banner").hidden = true; }

function notify(p) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const d = p.detail || {};
  new Notification("posture-hub: " + (d.name || p.move_id), { body: d.why || "", tag: p.prompt_id });
}

async function send(command) {
  text("action-status", "sending " + command.command + "…");
  try {
    const result = await api("/api/command", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(command),
    });
    const r = result.reply;
    text("action-status", command.command + ": " + (r === null ? "sent (no reply from the hub yet)"
      : r.ok ? "done by the hub" : "refused: " + r.error.message));
  } catch (error) {
    text("action-status", command.command + " failed: " + error.message);
  }
}

function answer(kind) {
  if (!live.prompt) return;
  const id = live.prompt.prompt_id;
  hidePrompt();
  send({ command: "prompt_ack", prompt_id: id, answer: kind });
}

// -- history --------------------------------------------------------------------------------

async function loadDay(day) {
  $("day").value = day;
  $("csv-link").href = withToken("/api/day/" + day + ".csv");
  let data;
  try { data = await api("/api/day/" + day); } catch (error) { text("score", null); text("score-definition", error.message); return; }
  text("score", data.score === null ? null : data.score.toFixed(0));
  text("score-definition", "Score: " + data.score_definition + ".");
  text("recorded", duration(data.recorded_s)); text("upright", duration(data.upright_s));
  text("walking", duration(data.activity_s.walking)); text("lying", duration(data.activity_s.lying));
  drawShares(data);
  drawDay(data);
  drawTrend(data.trend);
  const ep = data.episodes;
  text("episode-count", ep.count); text("episode-alerted", ep.alerted);
  text("episode-longest", duration(ep.longest_s));
  const rows = $("episode-rows");
  rows.replaceChildren();
  ep.items.forEach((e) => {
    const tr = document.createElement("tr");
    [clock(e.start_s, data.start_s), duration(e.duration_s),
      e.peak_deg === undefined ? "–" : e.peak_deg.toFixed(0) + "°", e.alerted ? "yes" : "no"]
      .forEach((v) => { const td = document.createElement("td"); td.textContent = v; tr.append(td); });
    rows.append(tr);
  });
  const pr = data.prompts;
  text("prompts-shown", pr.shown); text("prompts-done", pr.answers.done || 0);
  text("prompts-skip", pr.answers.skip || 0); text("prompts-snooze", pr.answers.snooze || 0);
  text("adherence", pr.done_share === null ? null : Math.round(pr.done_share * 100) + " % done");
  text("buzzes", data.alerts.buzzes);
  text("suppressed", data.alerts.suppressed);
}

function drawShares(data) {
  const box = $("band-shares");
  box.replaceChildren();
  for (const [band, share] of Object.entries(data.band_share)) {
    const row = document.createElement("div"); row.className = "share";
    const name = document.createElement("span"); name.textContent = band;
    const bar = document.createElement("div"); bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = ((share || 0) * 100).toFixed(1) + "%"; fill.style.background = BAND_COLORS[band];
    bar.append(fill);
    const pct = document.createElement("span"); pct.textContent = share === null ? "–" : (share * 100).toFixed(1) + " %";
    pct.dataset.band = band;
    row.append(name, bar, pct); box.append(row);
  }
}

function drawDay(data) {
  const canvas = $("day-timeline"), ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, barH = h - 20, cells = data.timeline.cells;
  const legend = data.timeline.legend;
  ctx.clearRect(0, 0, w, h);
  const cw = w / cells.length;
  cells.forEach((c, i) => {
    ctx.fillStyle = BAND_COLORS[legend[String(c)]] || "#eceff1";
    ctx.fillRect(i * cw, 0, Math.ceil(cw), barH);
  });
  ctx.fillStyle = "#6b7480"; ctx.font = "11px sans-serif";
  const hours = (data.end_s - data.start_s) / 3600;
  for (let hr = 0; hr <= hours; hr += 3) ctx.fillText(String(hr).padStart(2, "0"), Math.min(w - 14, (hr / hours) * w), h - 4);
  const box = $("legend");
  box.replaceChildren();
  Object.values(legend).forEach((name) => {
    const item = document.createElement("span"); const swatch = document.createElement("i");
    swatch.style.background = BAND_COLORS[name]; item.append(swatch, name); box.append(item);
  });
}

function drawTrend(trend) {
  const svg = $("trend"), ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const bw = 280 / trend.length;
  trend.forEach((d, i) => {
    const h = d.score === null ? 0 : d.score;
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", i * bw + 6); rect.setAttribute("width", bw - 12);
    rect.setAttribute("y", 104 - h * 0.9); rect.setAttribute("height", h * 0.9);
    rect.setAttribute("fill", d.score === null ? "#eceff1" : d.score >= 70 ? "#43a047" : d.score >= 40 ? "#fb8c00" : "#e53935");
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", i * bw + bw / 2); label.setAttribute("y", 116);
    label.setAttribute("text-anchor", "middle"); label.setAttribute("font-size", "10");
    label.textContent = d.day.slice(5);
    const value = document.createElementNS(ns, "text");
    value.setAttribute("x", i * bw + bw / 2); value.setAttribute("y", 96 - h * 0.9);
    value.setAttribute("text-anchor", "middle"); value.setAttribute("font-size", "10");
    value.textContent = d.score === null ? "" : Math.round(d.score);
    svg.append(rect, label, value);
  });
}

function shiftDay(delta) {
  const d = new Date($("day").value + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + delta);
  loadDay(d.toISOString().slice(0, 10));
}

// -- wiring ---------------------------------------------------------------------------------

function show(view) {
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.view === view);
  $("view-live").hidden = view !== "live";
  $("view-history").hidden = view !== "history";
  if (view === "history" && !$("day").value) loadDay(info.today);
}

function drawGaugeBands() {
  const g = $("gauge-bands"), ns = "http://www.w3.org/2000/svg";
  const point = (deg, r) => {
    const a = Math.PI * (1 - (deg - GAUGE_MIN) / (GAUGE_MAX - GAUGE_MIN));
    return (100 + r * Math.cos(a)).toFixed(1) + " " + (100 - r * Math.sin(a)).toFixed(1);
  };
  for (const [low, high, band] of BAND_EDGES) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M " + point(low, 85) + " A 85 85 0 0 1 " + point(high, 85));
    path.setAttribute("stroke", BAND_COLORS[band]); path.setAttribute("stroke-width", "14");
    path.setAttribute("fill", "none");
    g.append(path);
  }
}

async function main() {
  drawGaugeBands();
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
  for (const b of document.querySelectorAll("#prompt-banner [data-answer]")) b.addEventListener("click", () => answer(b.dataset.answer));
  $("act-calibrate").addEventListener("click", () => send({ command: "calibrate" }));
  $("act-snooze").addEventListener("click", () => send({ command: "snooze", duration_s: 900 }));
  $("act-pause").addEventListener("click", () => send({ command: "pause", duration_s: 3600 }));
  $("act-resume").addEventListener("click", () => send({ command: "resume" }));
  $("act-notify").addEventListener("click", async () => {
    if (!("Notification" in window)) { text("action-status", "this browser has no notifications"); return; }
    text("action-status", "notifications: " + await Notification.requestPermission());
  });
  $("thresholds").addEventListener("submit", (event) => {
    event.preventDefault();
    const command = { command: "set_thresholds" };
    for (const input of event.target.querySelectorAll("input")) if (input.value !== "") command[input.name] = Number(input.value);
    send(command);
  });
  $("day").addEventListener("change", () => { if ($("day").value) loadDay($("day").value); });
  $("day-prev").addEventListener("click", () => shiftDay(-1));
  $("day-next").addEventListener("click", () => shiftDay(1));
  try { info = await api("/api/info"); } catch (error) { text("connection", error.message); return; }
  text("wearer", info.wearer);
  connect();
  setInterval(tickAge, 1000);
  setInterval(scheduleDraw, 1000);
}

main();
