// Runs: the run log with the API's filters and cursor paging, and the
// "log a departure" form for operators.
import * as api from "./api.js";
import { t, lang, num, dateTime, ZONE, ZONE_OFFSET, serverText } from "./i18n.js";
import { h, $, clear } from "./dom.js";
import { MODES, DIRECTIONS, STATUSES, runTable, showError, fillSelect, routeName } from "./common.js";

const PAGE = 25;
const FILTERS = ["route", "mode", "direction", "status", "from", "to"];

const st = {
  started: false,
  routes: [], // every route, for the selects and names
  byCode: new Map(),
  query: "", // the filters as a query string
  pages: [], // items of each page loaded
  next: null, // next_cursor of the last page
  logged: [], // runs logged from this page, newest first
  newIds: new Set(),
  gen: 0,
};

// The form's fields, by the name the API uses in errors[].field.
const FIELDS = {
  token: "r-token", route: "r-route", number: "r-number", direction: "r-direction",
  departed_at: "r-departed", containers: "r-containers", teu: "r-teu", cargo: "r-cargo",
};

export function init() {
  const f = $("#filters");
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    applyFilters();
  });
  f.addEventListener("reset", () => setTimeout(applyFilters, 0));
  $("#runs-more").addEventListener("click", loadMore);
  $("#run-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  $("#to-form").addEventListener("click", () => {
    $("#form-h").scrollIntoView({ block: "start" });
    $(api.token() ? "#r-route" : "#r-token").focus({ preventScroll: true });
  });
  $("#r-forget").addEventListener("click", () => {
    api.setToken("");
    showToken();
    $("#r-token").focus();
  });
  showToken();
}

export async function show() {
  if (st.started) return false;
  st.started = true;
  try {
    const r = await api.getAll("/api/v1/routes?limit=100");
    setRoutes(r.data);
  } catch (err) {
    showError($("#runs-error"), err);
  }
  fillSelects();
  st.query = queryOf();
  return loadFirst(true);
}

export function refresh() {
  if (!st.started || st.pages.length > 1) return Promise.resolve(false); // keep what the reader paged to
  return loadFirst(false);
}

export function relabel() {
  if (!st.started) return;
  fillSelects();
  renderList();
  showToken();
}

function setRoutes(routes) {
  st.routes = routes.slice().sort((a, b) => (a.mode === b.mode ? a.code.localeCompare(b.code) : MODES.indexOf(a.mode) - MODES.indexOf(b.mode)));
  st.byCode = new Map(routes.map((r) => [r.code, r]));
}

function fillSelects() {
  const any = ["", t("runs.any")];
  fillSelect($("#f-route"), [any, ...st.routes.map((r) => [r.code, `${r.code} — ${routeName(r, lang)}`])]);
  fillSelect($("#f-mode"), [any, ...MODES.map((m) => [m, t("mode." + m)])]);
  fillSelect($("#f-direction"), [any, ...DIRECTIONS.map((d) => [d, t("dir." + d)])]);
  fillSelect($("#f-status"), [any, ...STATUSES.map((x) => [x, t("status." + x)])]);
  // The form offers active routes, grouped by mode.
  const sel = $("#r-route");
  const cur = sel.value;
  const groups = MODES.map((m) => {
    const rs = st.routes.filter((r) => r.mode === m && r.active);
    if (!rs.length) return null;
    return h("optgroup", { label: t("mode." + m) }, ...rs.map((r) => h("option", { value: r.code, text: `${r.code} — ${routeName(r, lang)}` })));
  }).filter(Boolean);
  sel.replaceChildren(...groups);
  if (cur && st.byCode.has(cur)) sel.value = cur;
  fillSelect($("#r-direction"), DIRECTIONS.map((d) => [d, t("dir." + d)]));
}

function queryOf() {
  const f = $("#filters");
  const q = new URLSearchParams();
  for (const name of FILTERS) {
    const v = f.elements[name].value;
    if (v) q.set(name, v);
  }
  return q.toString();
}

function applyFilters() {
  st.query = queryOf();
  st.pages = [];
  st.next = null;
  loadFirst(true);
}

function pageURL(cursor) {
  const q = new URLSearchParams(st.query);
  q.set("limit", String(PAGE));
  if (cursor) q.set("cursor", cursor);
  return "/api/v1/runs?" + q.toString();
}

async function loadFirst(force) {
  const gen = ++st.gen;
  try {
    const r = await api.get(pageURL(null));
    if (gen !== st.gen) return false;
    showError($("#runs-error"), null);
    if (r.fresh || force) {
      st.pages = [r.data.items];
      st.next = r.data.next_cursor;
      renderList();
    }
    return r.fresh;
  } catch (err) {
    if (gen === st.gen) {
      showError($("#runs-error"), err);
      // The filters were refused: the old list no longer answers them.
      st.pages = [];
      st.next = null;
      renderList();
    }
    return false;
  }
}

async function loadMore() {
  if (!st.next) return;
  const gen = st.gen;
  const btn = $("#runs-more");
  btn.disabled = true;
  try {
    const r = await api.get(pageURL(st.next));
    if (gen !== st.gen) return;
    st.pages.push(r.data.items);
    st.next = r.data.next_cursor;
    renderList();
  } catch (err) {
    showError($("#runs-error"), err);
  } finally {
    btn.disabled = false;
  }
}

function renderList() {
  const listed = st.pages.flat();
  const ids = new Set(listed.map((r) => r.id));
  // Runs logged here come first at once, whatever the filters.
  const runs = [...st.logged.filter((r) => !ids.has(r.id)), ...listed];
  const box = $("#runs-list");
  if (runs.length === 0) {
    clear(box, h("p", { class: "muted", text: t("runs.none") }));
  } else {
    clear(box, runTable(t("runs.tableLabel"), runs, st.byCode, lang, st.newIds));
  }
  $("#runs-more").hidden = !st.next;
  $("#runs-status").textContent = t("runs.shown", { n: num(runs.length) }) + (st.next || runs.length === 0 ? "" : " · " + t("runs.end"));
}

// --- the departure form ---------------------------------------------------

function showToken() {
  const has = !!api.token();
  $("#r-token-saved").hidden = !has;
  $("#r-forget").hidden = !has;
}

function clearErrors() {
  for (const id of Object.values(FIELDS)) setFieldError(id, null);
  const fe = $("#r-form-err");
  fe.hidden = true;
  fe.replaceChildren();
  $("#r-form-ok").hidden = true;
}

function setFieldError(inputId, message) {
  const input = document.getElementById(inputId);
  const err = document.getElementById(inputId + "-err");
  if (!input || !err) return false;
  const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== err.id);
  if (message) {
    err.textContent = message;
    err.hidden = false;
    input.setAttribute("aria-invalid", "true");
    described.push(err.id);
  } else {
    err.textContent = "";
    err.hidden = true;
    input.removeAttribute("aria-invalid");
  }
  if (described.length) input.setAttribute("aria-describedby", described.join(" "));
  else input.removeAttribute("aria-describedby");
  return true;
}

// numberField answers the value to send: a number when the input holds a
// whole number, the text as typed otherwise (so the server names the field),
// and undefined when it is empty.
function numberField(input) {
  const v = input.value.trim();
  if (v === "") return input.validity && input.validity.badInput ? "?" : undefined;
  return /^-?\d+$/.test(v) ? Number(v) : v;
}

// departedAt turns the form's local time into an RFC 3339 instant in the
// reporting zone, with the zone's offset on that date (daylight saving
// included where the zone has it).
function departedAt(v) {
  if (!v) return "";
  const local = v.length === 16 ? v + ":00" : v;
  return local + zoneOffsetAt(local);
}

function zoneOffsetAt(local) {
  try {
    // Two passes: the offset at the instant read as UTC, then at the corrected instant.
    let off = ZONE_OFFSET;
    for (let i = 0; i < 2; i++) {
      const at = new Date(local + off);
      const name = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, timeZoneName: "longOffset" })
        .formatToParts(at).find((p) => p.type === "timeZoneName").value; // "GMT+08:00" or "GMT"
      off = name === "GMT" ? "+00:00" : name.slice(3);
    }
    return off;
  } catch {
    return ZONE_OFFSET;
  }
}

async function submit() {
  clearErrors();
  const tokenInput = $("#r-token");
  if (tokenInput.value.trim()) {
    api.setToken(tokenInput.value.trim());
    showToken();
  }
  if (!api.token()) {
    setFieldError(FIELDS.token, t("form.needToken"));
    tokenInput.focus();
    return;
  }
  const body = {
    route: $("#r-route").value,
    number: $("#r-number").value.trim(),
    direction: $("#r-direction").value,
    departed_at: departedAt($("#r-departed").value),
  };
  const containers = numberField($("#r-containers"));
  const teu = numberField($("#r-teu"));
  if (containers !== undefined) body.containers = containers;
  if (teu !== undefined) body.teu = teu;
  const cargo = $("#r-cargo").value.trim();
  if (cargo) body.cargo = cargo;

  const btn = $("#r-submit");
  btn.disabled = true;
  btn.textContent = t("form.sending");
  try {
    const run = await api.post("/api/v1/runs", body);
    st.logged.unshift(run);
    st.newIds.add(run.id);
    renderList();
    const ok = $("#r-form-ok");
    const route = st.byCode.get(run.route);
    ok.textContent = t("form.created", { number: run.number, route: route ? routeName(route, lang) : run.route, date: dateTime(run.departed_at) });
    ok.hidden = false;
    for (const id of ["r-number", "r-containers", "r-teu", "r-cargo", "r-token"]) document.getElementById(id).value = "";
    showToken();
  } catch (err) {
    showProblem(err);
  } finally {
    btn.disabled = false;
    btn.textContent = t("form.submit");
  }
}

// showProblem puts each of the server's field errors next to its field and
// the detail at the top of the form.
function showProblem(err) {
  if (!(err instanceof api.ApiError)) {
    const fe = $("#r-form-err");
    fe.textContent = t("form.network");
    fe.hidden = false;
    return;
  }
  const p = err.problem;
  const unplaced = [];
  let first = null;
  for (const fe of p.errors || []) {
    const id = FIELDS[fe.field];
    if (id && setFieldError(id, serverText(fe.message))) first = first || id;
    else unplaced.push(fe.field + ": " + serverText(fe.message));
  }
  if (!(p.errors || []).length) {
    // No field named: 401/403 are about the token, 409 about the train
    // number on that route and day.
    const id = err.status === 401 || err.status === 403 ? FIELDS.token : err.status === 409 ? FIELDS.number : null;
    if (id && setFieldError(id, serverText(p.detail))) first = id;
  }
  if (err.status === 401) {
    api.setToken(""); // unknown or revoked: ask for it again
    showToken();
  }
  const box = $("#r-form-err");
  box.replaceChildren(h("span", { text: t("form.failed", { status: err.status, detail: serverText(p.detail || "") }) }),
    ...(unplaced.length ? [h("ul", null, ...unplaced.map((u) => h("li", { text: u })))] : []));
  box.hidden = false;
  if (first) document.getElementById(first).focus();
}
