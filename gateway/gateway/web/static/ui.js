// The web UI's small script: SLA countdowns, the screen pop's hand-over to the forms, ECharts, the idle
// time-out and error toasts. Everything else is htmx attributes in the templates. No inline script: the
// pages' Content-Security-Policy forbids it.
"use strict";

const two = (n) => String(n).padStart(2, "0");

function formatSpan(seconds) {
  const sign = seconds < 0 ? "-" : "";
  const s = Math.abs(Math.trunc(seconds));
  return `${sign}${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

// Each countdown turns amber at its warning instant and red at its due instant, without a reload.
function tickCountdowns() {
  const now = Date.now();
  for (const el of document.querySelectorAll(".countdown[data-due]")) {
    const due = Date.parse(el.dataset.due);
    const warn = el.dataset.warn ? Date.parse(el.dataset.warn) : NaN;
    const paused = el.dataset.state === "paused";
    const left = (due - now) / 1000;
    // A word, not a symbol: the pause sign is missing from common Chinese system fonts.
    el.querySelector("b").textContent = paused ? el.dataset.paused : formatSpan(left);
    const level = left <= 0 || el.dataset.state === "breached" ? "breach" : now >= warn ? "warn" : "ok";
    el.classList.toggle("breach", level === "breach");
    el.classList.toggle("warn", level === "warn");
    el.dataset.level = level;
  }
}

// A screen pop fills the call form at once (so the outcome is logged against this call) and, on request,
// the quick ticket form's phone number.
function onScreenPop(pop) {
  const callForm = document.getElementById("call-form");
  if (callForm) {
    callForm.querySelector("[name=call_id]").value = pop.dataset.call || "";
    callForm.querySelector("[name=caller_phone]").value = pop.dataset.phone || "";
  }
}

function useCaller(button) {
  const pop = button.closest(".pop");
  const phone = document.querySelector("#ticket-form [name=requester_phone]");
  if (pop && phone) {
    // The unit first: the duplicate hints the phone's input event asks for are for this unit and number.
    if (pop.dataset.unit) chooseUnit(document.querySelector("#ticket-form .unit-picker"), pop.dataset.unit, pop.dataset.unitLabel);
    phone.value = pop.dataset.phone;
    // The ticket is filed from this call: intake links the two in the same step.
    const call = document.querySelector("#ticket-form [name=call_id]");
    if (call) call.value = pop.dataset.call || "";
    phone.dispatchEvent(new Event("input", { bubbles: true }));
    document.querySelector("#ticket-form [name=title]")?.focus();
  }
}

// The unit type-ahead (ticket_form.html): the server lists the matches, a click chooses one. The hidden
// unit_id is what is filed; typing again un-chooses it, so a name half-edited is never filed as the old unit.
function chooseUnit(picker, id, label) {
  if (!picker) return;
  const search = picker.querySelector("[name=unit_q]");
  const unitId = picker.querySelector("[name=unit_id]");
  search.value = label || "";
  search.dataset.chosen = label || "";
  unitId.value = id;
  picker.querySelector(".unit-options").replaceChildren();
  unitId.dispatchEvent(new Event("change", { bubbles: true })); // the duplicate hints for this unit
}

document.addEventListener("input", (event) => {
  const search = event.target.closest?.(".unit-picker [name=unit_q]");
  if (search && search.value !== search.dataset.chosen) {
    search.closest(".unit-picker").querySelector("[name=unit_id]").value = "";
  }
});

function drawCharts() {
  const holder = document.getElementById("charts");
  if (!holder || !window.echarts) return;
  const data = JSON.parse(holder.dataset.charts);
  const words = JSON.parse(holder.dataset.labels);
  const make = (id, option) => {
    const el = document.getElementById(id);
    if (el) window.echarts.init(el).setOption({ animation: false, tooltip: {}, ...option });
  };
  make("chart-per-day", {
    xAxis: { type: "category", data: data.per_day.map((d) => d[0].slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", name: words.tickets, data: data.per_day.map((d) => d[1]), color: "#1d3557" }],
  });
  make("chart-sla", {
    legend: {},
    xAxis: { type: "category", data: data.sla.map((s) => s.metric) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { type: "bar", stack: "all", name: words.met, data: data.sla.map((s) => s.met), color: "#2a9d8f" },
      { type: "bar", stack: "all", name: words.breached, data: data.sla.map((s) => s.breached), color: "#e63946" },
    ],
  });
  make("chart-category", { series: [{ type: "pie", radius: ["35%", "70%"], data: data.by_category }] });
  // A row per class however many there are: the chart grows rather than crowding its labels.
  const fit = (id, rows) => {
    const el = document.getElementById(id);
    if (el) el.style.height = `${Math.max(260, rows * 22 + 60)}px`;
  };
  fit("chart-availability", data.availability.length);
  fit("chart-inspection-findings", data.findings.length);
  const lowest = Math.min(100, ...data.availability.map((c) => c.pct));
  make("chart-availability", {
    grid: { left: 110 },
    xAxis: { type: "value", min: Math.max(0, Math.floor(lowest - 1)), max: 100, axisLabel: { formatter: "{value}%" } },
    // interval 0: every class named (ECharts otherwise drops labels it thinks would crowd).
    yAxis: { type: "category", data: data.availability.map((c) => c.name), axisLabel: { interval: 0 } },
    series: [{ type: "bar", name: words.availability, data: data.availability.map((c) => c.pct), color: "#2a9d8f" }],
  });
  make("chart-inspection-rounds", {
    legend: {},
    xAxis: { type: "category", data: data.rounds.map((d) => d[0].slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { type: "bar", stack: "rounds", name: words.done, data: data.rounds.map((d) => d[1]), color: "#2a9d8f" },
      { type: "bar", stack: "rounds", name: words.missed, data: data.rounds.map((d) => d[2]), color: "#e63946" },
    ],
  });
  // The most findings on top (a category axis draws its first entry at the bottom).
  const findings = [...data.findings].reverse();
  make("chart-inspection-findings", {
    grid: { left: 130 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: findings.map((c) => c.name), axisLabel: { interval: 0 } },
    series: [{ type: "bar", name: words.findings, data: findings.map((c) => c.value), color: "#e76f51" }],
  });
}

// Locks the console when the user has been idle as long as the server allows (an open event stream does not
// count as activity): the whole page is swapped for the server's lock screen, so nothing of it stays in the
// DOM; the server locked the session already and refuses it everything else.
function lockNow() {
  if (document.querySelector("[data-lock]")) return;
  window.location.replace("/ui/lock?next=" + encodeURIComponent(window.location.pathname + window.location.search));
}

function watchIdle() {
  const limit = Number(document.body.dataset.idleS || 0) * 1000;
  if (!limit || document.querySelector("[data-lock]")) return;
  let last = Date.now();
  for (const kind of ["click", "keydown", "input"]) document.addEventListener(kind, () => { last = Date.now(); });
  setInterval(() => { if (Date.now() - last > limit) lockNow(); }, 1000);
}

// The lock screen counts what arrives while locked: the streams send only a call's id or an escalation's
// kind. Kept in sessionStorage (this tab only) so a reload of the lock screen keeps the count; the call ids
// go with the unlock so the console shows those calls again.
function watchLocked() {
  const key = "opsdesk-locked";
  const panel = document.querySelector("[data-lock]");
  if (!panel) {
    sessionStorage.removeItem(key);  // unlocked (the console took the calls over): the next lock counts from 0
    return;
  }
  const state = JSON.parse(sessionStorage.getItem(key) || '{"calls": [], "breach": 0, "warning": 0}');
  const show = () => {
    sessionStorage.setItem(key, JSON.stringify(state));
    for (const el of panel.querySelectorAll("[data-count]")) {
      const what = el.dataset.count;
      el.textContent = what === "calls" ? state.calls.length : state[what];
    }
    panel.querySelector("input[name=pops]").value = state.calls.join(",");
  };
  show();
  if (panel.dataset.countsCalls === "1") {
    const calls = new EventSource("/ui/live/screen-pops");
    // "connected" comes once intake listens for this operator ("open" fires earlier, with the headers).
    calls.addEventListener("connected", () => { panel.dataset.callsLive = "open"; });  // what tests wait for
    calls.addEventListener("locked_call", (e) => { if (!state.calls.includes(e.data)) state.calls.push(e.data); show(); });
  }
  if (panel.dataset.countsEscalations === "1") {
    const escalations = new EventSource("/ui/live/events");
    escalations.addEventListener("locked_escalation", (e) => { state[e.data] = (state[e.data] || 0) + 1; show(); });
  }
}

// A screen pop the stream only counted (it may have thought the console locked): fetch the card itself.
document.addEventListener("htmx:sseBeforeMessage", (event) => {
  if (event.detail.type !== "locked_call") return;
  event.preventDefault();  // the id is no content to show
  const target = document.getElementById("screen-pop");
  if (target) htmx.ajax("GET", "/ui/hotline/pop?call=" + encodeURIComponent(event.detail.data), { target, swap: "innerHTML" });
});

// A fragment refused because the session is locked: show the lock screen.
document.addEventListener("htmx:responseError", (event) => {
  if (event.detail.xhr && event.detail.xhr.getResponseHeader("X-Session-Locked")) lockNow();
});

function toast(text) {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = text;
  box.classList.add("show");
  setTimeout(() => box.classList.remove("show"), 6000);
}

// Each error once: a page-level alert about fields keeps only the messages its form does not show beside
// their fields, and goes when none is left.
function placeErrors(root) {
  for (const alert of (root || document).querySelectorAll?.("[role=alert][data-fields]") || []) {
    const scope = alert.closest("form, [id$=-panel], main") || document;
    for (const part of alert.querySelectorAll("[data-for]")) {
      if (scope.querySelector(`.field-error[data-field="${CSS.escape(part.dataset.for)}"]`)) part.remove();
    }
    if (!alert.querySelector("[data-for]")) alert.remove();
  }
}

// What the server cannot send back: files chosen and passwords typed. Kept in this page across the 422 swap
// that brings the form back, so nobody picks or types them again (a password field the answer marks wrong
// comes back empty, like its confirmation).
let keptInputs = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.requestConfig?.headers?.["X-Live-Refresh"]) return;  // another panel's live re-read
  keptInputs = null;
  if (event.detail.xhr?.status !== 422) return;
  const target = event.detail.target;
  const kept = [];
  for (const input of target?.querySelectorAll?.("input[type=file], input[type=password]") || []) {
    const form = input.form?.id || "";
    if (input.type === "file" && input.files?.length) kept.push({ form, name: input.name, files: [...input.files] });
    if (input.type === "password" && input.value) kept.push({ form, name: input.name, value: input.value });
  }
  keptInputs = kept;
});
function restoreInputs(root) {
  if (!keptInputs) return;
  for (const kept of keptInputs) {
    const selector = `${kept.form ? `#${CSS.escape(kept.form)} ` : ""}input[name="${CSS.escape(kept.name)}"]`;
    const input = (root.querySelector?.(selector)) || document.querySelector(selector);
    if (!input) continue;
    if (kept.files) {
      const transfer = new DataTransfer();
      for (const file of kept.files) transfer.items.add(file);
      input.files = transfer.files;
      const note = input.closest("label")?.querySelector(".files-kept");
      if (note) note.hidden = false;
    } else if (input.getAttribute("aria-invalid") !== "true" && !input.value) {
      const confirms = input.dataset.confirms && input.form?.querySelector(`[name="${input.dataset.confirms}"]`);
      if (!confirms || confirms.getAttribute("aria-invalid") !== "true") input.value = kept.value;
    }
  }
  keptInputs = null;
}

document.addEventListener("DOMContentLoaded", () => {
  placeErrors(document);
  tickCountdowns();
  setInterval(tickCountdowns, 1000);
  drawCharts();
  watchIdle();
  watchLocked();
});
document.addEventListener("htmx:afterSwap", (event) => {
  restoreInputs(event.detail.elt || event.target);
  placeErrors(document);
  tickCountdowns();
  const pop = event.target.querySelector?.(".pop") || (event.target.classList?.contains("pop") && event.target);
  if (pop) onScreenPop(pop);
});
document.addEventListener("htmx:sseMessage", () => tickCountdowns());
// Counters of the live stream on <body>, what the browser tests wait on instead of sleeping: events heard
// (data-live-events), and re-reads the stream asked for swapped in (data-live-reads) or held back because the
// user is busy in the panel (data-live-skips).
function bump(counter) {
  document.body.dataset[counter] = String(Number(document.body.dataset[counter] || 0) + 1);
}
function isLiveRead(detail) {
  const config = detail.requestConfig || {};
  return Boolean(config.headers?.["X-Live-Refresh"]) && config.verb === "get";
}
// Only a re-read an event of the stream triggered (`sse:<event>`) is counted: what sits inside a live panel
// inherits its X-Live-Refresh header for loads of its own (a ticket's work record loads itself after every
// render of the panel), and counting those let a test take the work record's load for the stream's resync.
function isStreamRead(detail) {
  const trigger = String(detail.requestConfig?.triggeringEvent?.type || "");
  return isLiveRead(detail) && trigger.startsWith("sse:");
}
document.addEventListener("htmx:sseMessage", () => bump("liveEvents"));
document.addEventListener("htmx:afterSettle", (event) => {
  if (isStreamRead(event.detail)) bump("liveReads");
});
// Each event stream marks its element (and the page) live or not: the green dot, and what tests wait for.
document.addEventListener("htmx:sseOpen", (event) => {
  event.target.dataset.live = "open";
  document.body.dataset.live = "open";
});
document.addEventListener("htmx:sseError", (event) => {
  event.target.dataset.live = "closed";
});
document.addEventListener("click", (event) => {
  const close = event.target.closest?.("[data-close-suggestions]");
  if (close) {
    close.closest(".suggestions")?.remove();
    htmx.trigger("#queue", "sse:queue");  // the re-reads held back while it was open
    return;
  }
  const back = event.target.closest?.("a[data-back]");  // the error page's "back": where the user came from
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
  const button = event.target.closest?.("[data-use-caller]");
  if (button) useCaller(button);
  const choice = event.target.closest?.("[data-pick-unit]");
  if (choice) chooseUnit(choice.closest(".unit-picker"), choice.dataset.pickUnit, choice.dataset.label);
});
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  toast(doc.querySelector("[role=alert]")?.textContent || `HTTP ${xhr.status}`);
});
document.addEventListener("htmx:sendError", () => toast(document.body.dataset.lang === "en" ? "Network error" : "网络错误，请重试"));
// A live refresh (X-Live-Refresh) must not throw away what the user is doing: while a field inside the
// refreshed panel has the focus and holds text, a text box in it holds unsent text, or an editor in it is
// open (a <details>, such as an engineer's skills), that refresh is skipped. The user's own submit re-reads
// the panel, and so does the next live event after they leave the field or close the editor.
document.addEventListener("htmx:beforeSwap", (event) => {
  const config = event.detail.requestConfig || {};
  // Forms inside a live panel inherit its X-Live-Refresh header: only the panel's own re-read (a GET) counts.
  if (!config.headers?.["X-Live-Refresh"] || config.verb !== "get") return;
  const target = event.detail.target;
  const active = document.activeElement;
  const typing = active?.matches?.("input:not([type=hidden]), textarea") && active.value;
  // A text box holding unsent text (a canned reply picked, then the "reply to requester" box ticked) counts too.
  const unsent = [...(target?.querySelectorAll?.("textarea") || [])].some((box) => box.value.trim());
  const editing = target?.querySelector?.("details[open]");
  // A refused form still showing its errors: the user is correcting it (their resubmit re-reads the panel).
  const correcting = target?.querySelector?.(".field-error");
  // A dispatcher choosing an engineer from a ticket's suggestions (assigning or closing them re-reads the queue).
  const choosing = target?.querySelector?.(".suggestions") && !target.matches?.("[id^=assign-]");
  if ((typing && target?.contains(active)) || unsent || editing || correcting || choosing) {
    event.detail.shouldSwap = false;
    if (isStreamRead(event.detail)) bump("liveSkips");
  }
});

// Parts on the engineer's resolve form: as many rows as the job needs. A new row copies the first one's
// fields, emptied, under the next free row number (the server reads whatever numbers it finds).
document.addEventListener("click", (event) => {
  const add = event.target.closest?.("[data-add-part]");
  if (add) {
    const rows = document.getElementById(add.dataset.addPart);
    const first = rows?.querySelector(".part-row");
    if (!first) return;
    const taken = [...rows.querySelectorAll("input[name^=part_name_]")].map((i) => Number(i.name.slice(10)));
    const next = Math.max(-1, ...taken) + 1;
    const row = first.cloneNode(true);
    for (const input of row.querySelectorAll("input")) {
      input.name = input.name.replace(/_\d+$/, `_${next}`);
      input.value = "";
      input.classList.remove("invalid-input");
      input.setAttribute("aria-invalid", "false");
    }
    for (const message of row.querySelectorAll(".part-error")) message.remove();
    rows.appendChild(row);
    row.querySelector("input")?.focus();
    return;
  }
  const remove = event.target.closest?.("[data-remove-part]");
  if (remove) {
    const row = remove.closest(".part-row");
    if (row.parentElement.querySelectorAll(".part-row").length > 1) row.remove();
    else for (const input of row.querySelectorAll("input")) input.value = "";  // the last row empties instead
  }
});

// The requester's signature: drawn with a finger (or mouse) on a canvas; each stroke's end writes the
// picture as a PNG data URL into the form's hidden field, which the server stores as an attachment.
let signing = null;
function signaturePoint(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
}
document.addEventListener("pointerdown", (event) => {
  const canvas = event.target.closest?.("canvas[data-signature-for]");
  if (!canvas) return;
  event.preventDefault();
  canvas.setPointerCapture?.(event.pointerId);
  const pen = canvas.getContext("2d");
  pen.lineWidth = 3;
  pen.lineCap = pen.lineJoin = "round";
  pen.strokeStyle = "#1a1a1a";
  pen.beginPath();
  pen.moveTo(...signaturePoint(canvas, event));
  signing = canvas;
});
document.addEventListener("pointermove", (event) => {
  if (!signing) return;
  const pen = signing.getContext("2d");
  pen.lineTo(...signaturePoint(signing, event));
  pen.stroke();
});
document.addEventListener("pointerup", () => {
  if (!signing) return;
  document.getElementById(signing.dataset.signatureFor).value = signing.toDataURL("image/png");
  signing.dataset.signed = "yes";
  signing = null;
});
document.addEventListener("click", (event) => {
  const clear = event.target.closest?.("[data-signature-clear]");
  if (!clear) return;
  const canvas = document.getElementById(clear.dataset.signatureClear);
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  document.getElementById(canvas.dataset.signatureFor).value = "";
  delete canvas.dataset.signed;
});
