// One run (#/run/ID): its journey drawn along its route's stops (the
// times of the events at each, where the train is now, its ETA, the transit
// time once arrived), and for operators the forms to record an event or the
// arrival, change the run and delete it.
import * as api from "./api.js";
import { t, lang, num, dateTime, ZONE, ZONE_OFFSET, fieldText, fieldName, problemText, place, country } from "./i18n.js";
import { h, $, clear } from "./dom.js";
import { showError, detailNode, fillSelect, routeName, STATUSES, zonedInstant } from "./common.js";

const EVENT_TYPES = ["arrived", "border_crossed", "gauge_changed", "held", "departed", "estimated_arrival"];

const st = {
  id: 0,
  run: null,
  route: null,
  events: [],
  gen: 0,
  errors: {}, // form -> { fields, err, local, network } shown, to say again after a language switch
};

// The forms' fields, by the name the API uses in errors[].field.
const FORMS = {
  event: { box: "#ev-form-err", fields: { token: "ev-token", type: "ev-type", stop: "ev-stop", at: "ev-at", reason: "ev-reason", eta: "ev-eta", note: "ev-note" } },
  edit: { box: "#ed-form-err", fields: { token: "ev-token", status: "ed-status", arrived_at: "ed-arrived", containers: "ed-containers", teu: "ed-teu", cargo: "ed-cargo" } },
};

export function init() {
  $("#ev-form").addEventListener("submit", (e) => {
    e.preventDefault();
    recordEvent();
  });
  $("#ev-type").addEventListener("change", showTypeFields);
  $("#ev-arrival").addEventListener("click", prefillArrival);
  $("#ed-form").addEventListener("submit", (e) => {
    e.preventDefault();
    editRun();
  });
  $("#run-delete").addEventListener("click", deleteRun);
}

export async function show(args) {
  const id = Number(args[0]);
  if (!Number.isInteger(id) || id < 1) {
    st.id = 0;
    st.run = null;
    clear($("#run-facts"));
    clear($("#journey"));
    $("#run-title").textContent = "";
    showError($("#run-error"), true, () => [h("span", { text: t("run.notFound", { id: args[0] || "" }) })]);
    return false;
  }
  if (id !== st.id) {
    st.id = id;
    st.run = null;
    clearForm("event");
    clearForm("edit");
    $("#ev-ok").hidden = true;
  }
  return load(true);
}

export function refresh() {
  return st.id ? load(false) : Promise.resolve(false);
}

export function relabel() {
  if (st.run) render();
  for (const [form, e] of Object.entries(st.errors)) if (e) renderErrors(form, e);
}

async function load(force) {
  const gen = ++st.gen;
  const id = st.id;
  try {
    const [run, events] = await Promise.all([api.get(`/api/v1/runs/${id}`), api.get(`/api/v1/runs/${id}/events`)]);
    const route = await api.get(`/api/v1/routes/${encodeURIComponent(run.data.route)}`);
    if (gen !== st.gen) return false;
    showError($("#run-error"), null);
    const fresh = run.fresh || events.fresh || route.fresh;
    if (fresh || force || !st.run) {
      st.run = run.data;
      st.events = events.data.items;
      st.route = route.data;
      render();
      if (force) fillForms();
    }
    return fresh;
  } catch (err) {
    if (gen === st.gen) {
      const gone = err instanceof api.ApiError && err.status === 404;
      showError($("#run-error"), err, gone ? () => [h("span", { text: t("run.notFound", { id }) })] : undefined);
    }
    return false;
  }
}

// journeyStops answers the route's stop indexes in the order the run
// visits them (inbound runs in reverse).
function journeyStops() {
  const n = st.route.stops.length;
  const idx = [...Array(n).keys()];
  return st.run.direction === "inbound" ? idx.reverse() : idx;
}

function stopName(i) {
  const s = st.route.stops[i];
  return s ? place(s.name) : String(i);
}

function render() {
  const r = st.run;
  $("#run-title").textContent = `${r.number} · ${routeName(st.route, lang)}`;
  document.getElementById("view-run").dataset.runId = String(r.id);
  renderFacts(r);
  renderJourney(r);
}

function fact(key, value, id) {
  return [h("dt", { text: t(key) }), h("dd", { id, text: value })];
}

function renderFacts(r) {
  const pos = r.position || {};
  const where = r.status === "arrived"
    ? t("run.arrivedAt", { stop: pos.last_stop ? place(pos.last_stop.name) : "" })
    : pos.last_stop
      ? t(pos.next_stop ? "run.between" : "run.at", { last: place(pos.last_stop.name), next: pos.next_stop ? place(pos.next_stop.name) : "" })
      : "—";
  const items = [
    fact("col.status", t("status." + r.status), "run-status"),
    fact("col.direction", t("dir." + r.direction)),
    fact("col.departed", dateTime(r.departed_at)),
    fact("run.arrived", r.arrived_at ? dateTime(r.arrived_at) : "—", "run-arrived"),
    fact("run.position", where, "run-position"),
    fact("run.eta", r.eta ? `${dateTime(r.eta)} · ${t("run.etaBasis." + r.eta_basis)}` : "—", "run-eta"),
    fact("run.transit", r.transit_days !== null ? t("run.days", { n: num(r.transit_days) }) : "—", "run-transit"),
    fact("col.containers", `${num(r.containers)} · ${num(r.teu)} TEU`),
  ];
  if (r.cargo) items.push(fact("col.cargo", r.cargo));
  if (r.container_numbers && r.container_numbers.length) items.push(fact("run.boxes", r.container_numbers.join(", ")));
  clear($("#run-facts"), ...items.flat());
}

// renderJourney draws the route's stops in the run's order, each with the
// times of its events; the stop of the latest event is "here", the next
// one "next", the ones before it "passed".
function renderJourney(r) {
  const order = journeyStops();
  const pos = r.position || {};
  const here = pos.last_stop ? pos.last_stop.index : -1;
  const herePos = order.indexOf(here);
  const next = pos.next_stop ? pos.next_stop.index : -1;
  const byStop = new Map();
  const estimates = [];
  for (const e of st.events) {
    if (e.type === "estimated_arrival") {
      estimates.push(e);
      continue;
    }
    if (!byStop.has(e.stop)) byStop.set(e.stop, []);
    byStop.get(e.stop).push(e);
  }
  const items = order.map((i, k) => {
    const s = st.route.stops[i];
    const state = i === here ? "here" : i === next ? "next" : k < herePos ? "passed" : "ahead";
    const evs = (byStop.get(i) || []).map((e) => h("li", { class: "ev ev-" + e.type, dataset: { type: e.type, source: e.source } },
      h("span", { class: "ev-type", text: t("ev.type." + e.type) }), " ",
      h("time", { datetime: e.at, text: dateTime(e.at) }),
      e.reason ? h("span", { class: "ev-reason", text: " · " + e.reason }) : null,
      e.note ? h("span", { class: "muted", text: " · " + e.note }) : null,
      e.id !== null ? h("button", { type: "button", class: "linkish retract", "aria-label": t("ev.retractLabel", { type: t("ev.type." + e.type), stop: stopName(i) }),
        text: t("ev.retract"), onclick: () => retract(e) }) : null));
    return h("li", { class: "stop " + state, dataset: { stop: i, state }, "aria-current": state === "here" ? "location" : null },
      h("span", { class: "dot", "aria-hidden": "true" }),
      h("span", { class: "stop-name", text: place(s.name) }),
      h("span", { class: "muted", text: ` ${country(s.country)} · ${t("role." + s.role)}` }),
      state === "here" ? h("span", { class: "badge here-badge", text: t("run.here") }) : null,
      state === "next" ? h("span", { class: "badge", text: t("run.next") }) : null,
      evs.length ? h("ul", { class: "evs" }, ...evs) : null);
  });
  clear($("#journey"), ...items);
  const est = $("#journey-est");
  est.hidden = estimates.length === 0;
  clear(est, ...estimates.map((e) => h("p", { class: "muted", text: t("ev.estimate", { eta: dateTime(e.eta), at: dateTime(e.at) }) })));
}

// --- forms ------------------------------------------------------------------

function fillForms() {
  const order = journeyStops();
  fillSelect($("#ev-type"), EVENT_TYPES.map((x) => [x, t("ev.type." + x)]));
  fillSelect($("#ev-stop"), order.map((i) => [String(i), `${i} · ${stopName(i)}`]));
  const pos = st.run.position || {};
  if (pos.next_stop) $("#ev-stop").value = String(pos.next_stop.index);
  if (!$("#ev-at").value) $("#ev-at").value = localNow();
  showTypeFields();
  fillSelect($("#ed-status"), STATUSES.map((x) => [x, t("status." + x)]), st.run.status);
  $("#ed-arrived").value = st.run.arrived_at ? localOf(st.run.arrived_at) : "";
  $("#ed-containers").value = String(st.run.containers);
  $("#ed-teu").value = String(st.run.teu);
  $("#ed-cargo").value = st.run.cargo || "";
  $("#ev-token-row").hidden = !!api.token();
}

function showTypeFields() {
  const type = $("#ev-type").value;
  $("#ev-reason-field").hidden = type !== "held";
  $("#ev-eta-field").hidden = type !== "estimated_arrival";
  $("#ev-stop-field").hidden = type === "estimated_arrival";
}

// prefillArrival sets the form to the arrival at the final stop, now.
function prefillArrival() {
  const order = journeyStops();
  $("#ev-type").value = "arrived";
  $("#ev-stop").value = String(order[order.length - 1]);
  $("#ev-at").value = localNow();
  showTypeFields();
  $("#ev-at").focus();
}

// localNow is the reporting zone's wall clock, for a datetime-local input.
function localNow() {
  return localOf(new Date().toISOString());
}

function localOf(instant) {
  const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

function takeToken() {
  const v = $("#ev-token").value.trim();
  if (v) {
    api.setToken(v);
    $("#ev-token").value = "";
  }
  $("#ev-token-row").hidden = !!api.token();
  return !!api.token();
}

async function recordEvent() {
  clearForm("event");
  $("#ev-ok").hidden = true;
  if (!takeToken()) return showErrors("event", { fields: [{ field: "token", key: "form.needToken" }], local: true });
  const type = $("#ev-type").value;
  const body = { type, at: zonedInstant($("#ev-at").value) };
  if (type !== "estimated_arrival") body.stop = Number($("#ev-stop").value);
  if (type === "held") body.reason = $("#ev-reason").value.trim();
  if (type === "estimated_arrival" && $("#ev-eta").value) body.eta = zonedInstant($("#ev-eta").value);
  const note = $("#ev-note").value.trim();
  if (note) body.note = note;
  const local = [];
  if (!$("#ev-at").value) local.push({ field: "at", key: "err.required" });
  if (type === "held" && !body.reason) local.push({ field: "reason", key: "err.required" });
  if (type === "estimated_arrival" && !body.eta) local.push({ field: "eta", key: "err.required" });
  if (local.length) return showErrors("event", { fields: local, local: true });
  const btn = $("#ev-submit");
  btn.disabled = true;
  try {
    const e = await api.post(`/api/v1/runs/${st.id}/events`, body);
    const ok = $("#ev-ok");
    ok.textContent = t("ev.recorded", { type: t("ev.type." + e.type), stop: e.stop !== null ? stopName(e.stop) : "", at: dateTime(e.at) });
    ok.hidden = false;
    $("#ev-note").value = "";
    $("#ev-reason").value = "";
    await load(true);
  } catch (err) {
    showProblem("event", err);
  } finally {
    btn.disabled = false;
  }
}

async function editRun() {
  clearForm("edit");
  if (!takeToken()) return showErrors("edit", { fields: [{ field: "token", key: "form.needToken" }], local: true });
  const patch = {};
  const r = st.run;
  let status = $("#ed-status").value;
  const arrived = $("#ed-arrived").value;
  // An arrival time makes the run arrived (the status is what ends its
  // journey); clearing it on an arrived run sets it back on its way.
  if (arrived && !r.arrived_at && status === r.status) status = "arrived";
  if (!arrived && r.arrived_at && status === "arrived") status = "departed";
  if (status !== r.status) patch.status = status;
  if (arrived && (!r.arrived_at || zonedInstant(arrived) !== zonedInstant(localOf(r.arrived_at)))) patch.arrived_at = zonedInstant(arrived);
  if (!arrived && r.arrived_at) patch.arrived_at = null;
  for (const [field, id] of [["containers", "#ed-containers"], ["teu", "#ed-teu"]]) {
    const v = $(id).value.trim();
    if (!/^\d+$/.test(v)) return showErrors("edit", { fields: [{ field, key: "err.integer" }], local: true });
    if (Number(v) !== r[field]) patch[field] = Number(v);
  }
  const cargo = $("#ed-cargo").value.trim();
  if (cargo !== (r.cargo || "")) patch.cargo = cargo || null;
  try {
    await api.patch(`/api/v1/runs/${st.id}`, patch);
    $("#ed-ok").textContent = t("edit.saved");
    $("#ed-ok").hidden = false;
    await load(true);
  } catch (err) {
    showProblem("edit", err);
  }
}

async function deleteRun() {
  if (!takeToken()) return showErrors("edit", { fields: [{ field: "token", key: "form.needToken" }], local: true });
  if (!window.confirm(t("run.confirmDelete", { number: st.run.number }))) return;
  try {
    await api.del(`/api/v1/runs/${st.id}`);
    location.hash = "#/runs";
  } catch (err) {
    showProblem("edit", err);
  }
}

async function retract(e) {
  if (!takeToken()) return showErrors("event", { fields: [{ field: "token", key: "form.needToken" }], local: true });
  if (!window.confirm(t("ev.confirmRetract", { type: t("ev.type." + e.type), stop: stopName(e.stop) }))) return;
  try {
    await api.del(`/api/v1/runs/${st.id}/events/${e.id}`);
    await load(true);
  } catch (err) {
    showProblem("event", err);
  }
}

// --- errors next to their fields --------------------------------------------

function setFieldError(inputId, message) {
  const input = document.getElementById(inputId);
  const err = document.getElementById(inputId + "-err");
  if (!input || !err) return false;
  if (message) {
    err.textContent = message;
    err.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", err.id);
  } else {
    err.textContent = "";
    err.hidden = true;
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  return true;
}

function clearForm(form) {
  st.errors[form] = null;
  for (const id of Object.values(FORMS[form].fields)) setFieldError(id, null);
  const box = $(FORMS[form].box);
  box.hidden = true;
  box.replaceChildren();
  if (form === "edit") $("#ed-ok").hidden = true;
}

function renderErrors(form, e) {
  const { fields, box } = FORMS[form];
  for (const id of Object.values(fields)) setFieldError(id, null);
  const unplaced = [];
  let first = null;
  for (const fe of e.fields) {
    const msg = fe.key ? t(fe.key, fe.vars) : fe.error ? fieldText(fe.error) : problemText(fe.refusal);
    const id = fields[fe.field];
    const input = id && document.getElementById(id);
    if (input && !input.closest("[hidden]") && setFieldError(id, msg)) first = first || id;
    else unplaced.push(fieldName(fe.field) + (lang === "zh" ? "：" : ": ") + msg);
  }
  let lead;
  if (e.network) lead = [h("span", { text: t("form.network") })];
  else if (e.local) lead = [h("span", { text: t("form.local") })];
  else lead = [h("span", { text: t("form.failed", { status: e.err.status, detail: problemText(e.err) }) }), detailNode(e.err)];
  const el = $(box);
  el.replaceChildren(...lead.filter(Boolean), ...(unplaced.length ? [h("ul", null, ...unplaced.map((u) => h("li", { text: u })))] : []));
  el.hidden = false;
  return first;
}

function showErrors(form, e) {
  st.errors[form] = e;
  const first = renderErrors(form, e);
  if (first) document.getElementById(first).focus();
}

function showProblem(form, err) {
  if (!(err instanceof api.ApiError)) return showErrors(form, { fields: [], network: true });
  const p = err.problem;
  const fields = (p.errors || []).map((fe) => ({ field: fe.field, error: fe }));
  if (!fields.length && (err.status === 401 || err.status === 403)) fields.push({ field: "token", refusal: err });
  if (err.status === 401) {
    api.setToken("");
    $("#ev-token-row").hidden = false;
  }
  showErrors(form, { fields, err });
}
