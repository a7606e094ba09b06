// The walking skeleton's page: sign in, file a ticket, see its number, status and SLA clocks.
"use strict";
const $ = (sel) => document.querySelector(sel);
let token = sessionStorage.getItem("opsdesk.token");

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(options.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...options, headers });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && (body.detail || body.title);
    const error = new Error(detail || `HTTP ${response.status}`);
    error.problem = body;
    throw error;
  }
  return body;
}

const fmt = (iso) => iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" }) : "—";

async function showApp() {
  const me = await api("/api/auth/me");
  $("#whoami").textContent = `${me.display_name}（${me.roles.join(", ")}）`;
  $("#login-panel").hidden = true;
  $("#ticket-panel").hidden = false;
  $("#logout").hidden = false;
  const units = await api("/api/admin/units");
  $("#unit-select").innerHTML = units
    .map((u) => `<option value="${u.id}" ${u.id === me.unit_id ? "selected" : ""}>${u.name}</option>`).join("");
  api("/api/sms/provider").then((p) => { $("#sms-sink-banner").hidden = !p.sink; }).catch(() => {});
  await loadTickets();
}

async function loadTickets() {
  const page = await api("/api/tickets?limit=20");
  const rows = await Promise.all(page.items.map(async (t) => {
    let clocks = {};
    try {
      const sla = await api(`/api/sla/tickets/${t.id}`);
      clocks = Object.fromEntries(sla.clocks.map((c) => [c.metric, c]));
    } catch (_) { /* clocks start a moment after filing */ }
    const cell = (m) => clocks[m] ? `${fmt(clocks[m].due_at)}（${clocks[m].state}）` : "—";
    return `<tr><td>${t.number}</td><td>${escapeHtml(t.title)}</td><td>${t.category}</td><td>${t.priority}</td>` +
      `<td>${t.status}</td><td>${cell("arrival")}</td><td>${cell("resolution")}</td></tr>`;
  }));
  $("#ticket-rows").innerHTML = rows.join("");
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const tokens = await api("/api/auth/login", {
      method: "POST", body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
    });
    token = tokens.access_token;
    sessionStorage.setItem("opsdesk.token", token);
    $("#login-error").textContent = "";
    await showApp();
  } catch (error) {
    $("#login-error").textContent = error.message;
  }
});

$("#ticket-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = Object.fromEntries(new FormData(event.target).entries());
  body.channel = "web";
  try {
    const ticket = await api("/api/tickets", { method: "POST", body: JSON.stringify(body) });
    $("#ticket-error").textContent = "";
    $("#ticket-ok").textContent = `已受理，工单编号 ${ticket.number}`;
    setTimeout(loadTickets, 500);
  } catch (error) {
    $("#ticket-ok").textContent = "";
    $("#ticket-error").textContent = error.message;
  }
});

$("#refresh").addEventListener("click", loadTickets);
$("#logout").addEventListener("click", () => { sessionStorage.removeItem("opsdesk.token"); location.reload(); });

if (token) showApp().catch(() => { sessionStorage.removeItem("opsdesk.token"); token = null; });
