// Runs: the run log with the API's filters and cursor paging, its CSV
// download, the "log a departure" form and the CSV import for operators.
import * as api from "./api.js";
import * as csvImport from "./csvimport.js";
import { t, lang, num, dateTime, ZONE_OFFSET, fieldText, fieldName, problemText } from "./i18n.js";
import { h, $, clear } from "./dom.js";
import { MODES, DIRECTIONS, STATUSES, runTable, showError, errorNodes, detailNode, fillSelect, routeName, announceShown, zonedInstant } from "./common.js";

const PAGE = 25;
const FILTERS = ["number", "container", "route", "mode", "direction", "status", "overdue", "from", "to"];

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
  errors: null, // the form's errors shown, to say again after a language switch
  csvStatus: null, // () => the download's state in words
  badFilters: false, // the filters applied cannot be used (an end before the start)
};

// The server's limits on text fields (models/run.go), in characters.
const MAX_NUMBER = 32;
const MAX_CARGO = 500;

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
  $("#r-number").maxLength = MAX_NUMBER;
  $("#r-cargo").maxLength = MAX_CARGO;
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
  $("#runs-csv").addEventListener("click", downloadCSV);
  csvImport.init({
    useToken: takeToken,
    forgetToken: () => {
      api.setToken("");
      showToken();
    },
    reload: () => loadFirst(true),
  });
}

export async function show() {
  if (st.started) {
    // Back or forward to other filters, or the navigation's plain #/runs
    // (which keeps the filters set).
    const want = hashQuery();
    if (want === null) writeHash();
    else if (want !== st.query) {
      setFilters(want);
      applyFilters(true);
    }
    return false;
  }
  st.started = true;
  try {
    const r = await api.getAll("/api/v1/routes?limit=100");
    setRoutes(r.data);
  } catch (err) {
    showError($("#runs-error"), err);
  }
  fillSelects();
  const want = hashQuery();
  if (want) setFilters(want);
  st.query = queryOf();
  exportLink();
  if (!validFilters()) return false;
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
  if (st.errors) renderErrors(st.errors);
  csvImport.relabel();
  if (st.csvStatus) $("#runs-csv-status").textContent = st.csvStatus();
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
  fillSelect($("#f-overdue"), [any, ["true", t("runs.overdueOnly")]]);
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
  // No route to choose: say why the form cannot be used yet.
  const hint = $("#r-route-hint");
  hint.textContent = t("form.noRoutes");
  hint.hidden = groups.length > 0;
  sel.disabled = groups.length === 0;
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

// The filters are kept in the address, #/runs?route=…&from=…, so that a
// reload keeps them. hashQuery answers null when the address has none.
function hashQuery() {
  const q = location.hash.split("?")[1];
  if (q === undefined) return null;
  const p = new URLSearchParams(q);
  const out = new URLSearchParams();
  for (const name of FILTERS) if (p.get(name)) out.set(name, p.get(name));
  return out.toString();
}

function writeHash() {
  const want = "#/runs" + (st.query ? "?" + st.query : "");
  if (location.hash !== want) history.replaceState(null, "", want);
}

function setFilters(query) {
  const f = $("#filters");
  const q = new URLSearchParams(query);
  for (const name of FILTERS) {
    const el = f.elements[name];
    const v = q.get(name) || "";
    if (el.tagName === "SELECT" && v && ![...el.options].some((o) => o.value === v)) {
      el.appendChild(h("option", { value: v, text: v })); // a route not (or no longer) listed
    }
    el.value = v;
  }
}

// validFilters checks what the page can check itself (an end before the
// start); it shows the problem and answers false.
function validFilters() {
  const f = $("#filters");
  const from = f.elements.from.value;
  const to = f.elements.to.value;
  const bad = from && to && to < from;
  st.badFilters = !!bad;
  f.elements.to.toggleAttribute("aria-invalid", !!bad);
  if (bad) {
    f.elements.to.setAttribute("aria-invalid", "true");
    showError($("#runs-error"), true, () => [h("span", { text: t("runs.badFilter", { detail: t("runs.toBeforeFrom") }) })]);
    st.pages = [];
    st.next = null;
    renderList();
  }
  return !bad;
}

function applyFilters(fromHash) {
  st.query = queryOf();
  exportLink();
  st.pages = [];
  st.next = null;
  if (fromHash !== true) writeHash();
  st.gen++;
  if (!validFilters()) return;
  loadFirst(true).then(announceShown);
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
      const refused = err instanceof api.ApiError && err.status === 400;
      showError($("#runs-error"), err, refused ? () => errorNodes(err, t("runs.badFilter", { detail: "" })) : undefined);
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
    clear(box, h("p", { class: "muted empty", text: t(st.query ? "runs.none" : "runs.empty") }));
  } else {
    clear(box, runTable(t("runs.tableLabel"), runs, st.byCode, lang, st.newIds));
  }
  $("#runs-more").hidden = !st.next;
  $("#runs-status").textContent = runs.length === 0 ? "" : t("runs.shown", { n: num(runs.length) }) + (st.next ? "" : " · " + t("runs.end"));
}

// --- the CSV download ------------------------------------------------------

// exportLink points the download at the filters applied (those of the list
// shown), not at choices not applied yet. The file starts with a byte order
// mark, so that Excel reads it as UTF-8.
function exportLink() {
  const a = $("#runs-csv");
  a.href = "/api/v1/runs/export?" + (st.query ? st.query + "&" : "") + "bom=true";
  setCSVStatus(null);
}

function setCSVStatus(fn) {
  st.csvStatus = fn;
  $("#runs-csv-status").textContent = fn ? fn() : "";
}

// downloadCSV: with a token kept (private reads, or an operator's), the
// link's plain navigation would go without it, so the file is fetched with
// the token and saved from a Blob URL; without one the link works as it is.
async function downloadCSV(e) {
  if (st.badFilters) {
    e.preventDefault(); // the error above says why; the server would refuse them too
    $("#f-to").focus();
    return;
  }
  if (!api.token()) return;
  e.preventDefault();
  const a = e.currentTarget;
  if (a.getAttribute("aria-busy") === "true") return;
  a.setAttribute("aria-busy", "true");
  setCSVStatus(() => t("csv.saving"));
  try {
    const { blob, name } = await api.download(a.href, "runs.csv");
    const url = URL.createObjectURL(blob);
    const save = h("a", { href: url, download: name, hidden: true });
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000); // after the browser took the file
    a.dataset.saved = String(blob.size);
    setCSVStatus(() => t("csv.saved", { name }));
  } catch (err) {
    if (err instanceof api.ApiError) setCSVStatus(() => t("csv.failed", { status: err.status, detail: problemText(err) }));
    else setCSVStatus(() => t("csv.network"));
  } finally {
    a.removeAttribute("aria-busy");
  }
}

// --- the departure form ---------------------------------------------------

// takeToken keeps a token typed in the form's token field; it answers
// whether a token is kept (the CSV import needs one).
function takeToken() {
  const v = $("#r-token").value.trim();
  if (v) {
    api.setToken(v);
    showToken();
  }
  return !!api.token();
}

function showToken() {
  const has = !!api.token();
  $("#r-token-saved").hidden = !has;
  $("#r-forget").hidden = !has;
}

function clearErrors() {
  st.errors = null;
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

// The labels of the fields, for errors that cannot be put next to one.
const LABELS = {
  token: "form.token", route: "form.route", number: "form.number", direction: "form.direction",
  departed_at: "form.departed", containers: "form.containers", teu: "form.teu", cargo: "form.cargo",
};

// renderErrors shows the form's errors in the current language:
// e = { fields: [{ field, key, vars } | { field, error } | { field, refusal }], err, local, network }.
// Errors the page found itself have a text key; the server's field errors
// are said from their code and params; a refusal that names no field
// (401, 403) is said as the problem's summary.
function renderErrors(e) {
  for (const id of Object.values(FIELDS)) setFieldError(id, null);
  const unplaced = [];
  let first = null;
  for (const fe of e.fields) {
    const msg = fe.key ? t(fe.key, fe.vars) : fe.error ? fieldText(fe.error) : problemText(fe.refusal);
    const id = FIELDS[fe.field];
    if (id && setFieldError(id, msg)) first = first || id;
    else unplaced.push((LABELS[fe.field] ? t(LABELS[fe.field], { offset: ZONE_OFFSET }) : fieldName(fe.field)) + (lang === "zh" ? "：" : ": ") + msg);
  }
  const box = $("#r-form-err");
  let lead;
  if (e.network) lead = [h("span", { text: t("form.network") })];
  else if (e.local) lead = [h("span", { text: t("form.local") })];
  else lead = [h("span", { text: t("form.failed", { status: e.err.status, detail: problemText(e.err) }) }), detailNode(e.err)];
  box.replaceChildren(...lead.filter(Boolean), ...(unplaced.length ? [h("ul", null, ...unplaced.map((u) => h("li", { text: u })))] : []));
  box.hidden = false;
  return first;
}

function showErrors(e) {
  st.errors = e;
  const first = renderErrors(e);
  if (first) document.getElementById(first).focus();
}

// check finds what the page can tell before sending: required fields,
// whole numbers of 0 or more, and the server's length limits. The ranges
// and the rules between fields are the server's.
function check() {
  const errs = [];
  const need = (field, ok) => ok || errs.push({ field, key: "err.required" });
  need("route", $("#r-route").value);
  const number = $("#r-number").value.trim();
  need("number", number);
  if ([...number].length > MAX_NUMBER) errs.push({ field: "number", key: "err.maxChars", vars: { n: MAX_NUMBER } });
  need("direction", $("#r-direction").value);
  need("departed_at", $("#r-departed").value);
  for (const field of ["containers", "teu"]) {
    const input = document.getElementById(FIELDS[field]);
    const v = input.value.trim();
    if ((input.validity && input.validity.badInput) || (v !== "" && !/^\d+$/.test(v))) errs.push({ field, key: "err.integer" });
  }
  if ([...$("#r-cargo").value.trim()].length > MAX_CARGO) errs.push({ field: "cargo", key: "err.maxChars", vars: { n: MAX_CARGO } });
  return errs;
}

// integer answers a checked number input's value as a JSON integer, or
// undefined when it is empty.
function integer(input) {
  const v = input.value.trim();
  return v === "" ? undefined : Number(v);
}

async function submit() {
  clearErrors();
  const tokenInput = $("#r-token");
  if (tokenInput.value.trim()) {
    api.setToken(tokenInput.value.trim());
    showToken();
  }
  const errs = api.token() ? [] : [{ field: "token", key: "form.needToken" }];
  errs.push(...check());
  if (errs.length) {
    showErrors({ fields: errs, local: true });
    return;
  }
  const body = {
    route: $("#r-route").value,
    number: $("#r-number").value.trim(),
    direction: $("#r-direction").value,
    departed_at: zonedInstant($("#r-departed").value),
  };
  const containers = integer($("#r-containers"));
  const teu = integer($("#r-teu"));
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

// showProblem puts each of the server's field errors (every field of a 400
// or 422) next to its field and a summary at the top of the form.
function showProblem(err) {
  if (!(err instanceof api.ApiError)) {
    showErrors({ fields: [], network: true });
    return;
  }
  const p = err.problem;
  const fields = (p.errors || []).map((fe) => ({ field: fe.field, error: fe }));
  if (!fields.length) {
    // No field named: 401/403 are about the token, 409 about the train
    // number on that route and day.
    const field = err.status === 401 || err.status === 403 ? "token" : err.status === 409 ? "number" : null;
    if (field && p.detail) fields.push({ field, refusal: err });
  }
  if (err.status === 401) {
    api.setToken(""); // unknown or revoked: ask for it again
    showToken();
  }
  showErrors({ fields, err });
}
