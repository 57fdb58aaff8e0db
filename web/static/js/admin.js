// Admin: the webhooks (GET /webhooks) and the last deliveries of each
// (GET /webhooks/{id}/deliveries?limit=5). Every request needs an admin
// token, kept in this tab as the departure form keeps its own (the same
// storage).
import * as api from "./api.js";
import { t, lang, num, dateTime, problemText, fieldText, fieldName } from "./i18n.js";
import { h, $, clear, table } from "./dom.js";
import { showError, detailNode } from "./common.js";

const LAST = 5; // deliveries shown per webhook

// The event types a webhook can be subscribed to (models.OutboxEventTypes).
const EVENTS = ["run.created", "run.updated", "run.deleted", "run.event", "run.event.retracted",
  "searail.recorded", "searail.deleted", "target.reached", "milestone.reached",
  "summary.published", "summary.revised", "totals.updated"];

const st = {
  hooks: null, // the webhooks listed, or null before a list came
  deliveries: new Map(), // webhook id -> deliveries (or an ApiError)
  refusal: null, // the list's refusal (ApiError), said at the token
  gen: 0,
  notes: new Map(), // webhook id -> () => the result of an action on it, in words
  formErrors: null, // the add form's errors shown, to say again after a language switch
};

export function init() {
  $("#adm-token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = $("#adm-token").value.trim();
    if (v) api.setToken(v);
    $("#adm-token").value = "";
    load(true).then((fresh) => fresh && announce());
  });
  $("#adm-forget").addEventListener("click", () => {
    api.setToken("");
    st.hooks = null;
    st.refusal = null;
    $("#adm-secret").hidden = true;
    $("#adm-secret-value").value = "";
    render();
    $("#adm-token").focus();
  });
  const list = $("#adm-events-list");
  for (const e of ["*", ...EVENTS]) {
    list.appendChild(h("label", { class: "check" }, h("input", { type: "checkbox", name: "events", value: e }), h("span", { class: e === "*" ? null : "mono", dataset: e === "*" ? { i18n: "adm.allEvents" } : null, text: e === "*" ? t("adm.allEvents") : e })));
  }
  $("#adm-new-form").addEventListener("submit", (e) => {
    e.preventDefault();
    addWebhook();
  });
}

function announce() {
  window.dispatchEvent(new CustomEvent("banlie:shown"));
}

export function show() {
  return load(true);
}

export function refresh() {
  return load(false);
}

export function relabel() {
  render();
  for (const el of document.querySelectorAll("#adm-events-list [data-i18n]")) el.textContent = t(el.dataset.i18n);
  if (st.formErrors) renderFormErrors(st.formErrors);
}

// load reads the webhooks and their last deliveries; it answers whether
// anything changed.
async function load(force) {
  const gen = ++st.gen;
  if (!api.token()) {
    st.hooks = null;
    st.refusal = null;
    render();
    return false;
  }
  try {
    const list = await api.getWithToken("/api/v1/webhooks?limit=100");
    const hooks = list.data.items;
    const answers = await Promise.all(hooks.map((w) =>
      api.getWithToken(`/api/v1/webhooks/${w.id}/deliveries?limit=${LAST}`).catch((err) => ({ err }))));
    if (gen !== st.gen) return false;
    const fresh = list.fresh || answers.some((a) => a.err || a.fresh) || st.refusal !== null || st.hooks === null;
    st.refusal = null;
    st.hooks = hooks;
    st.deliveries = new Map(hooks.map((w, i) => [w.id, answers[i].err || answers[i].data.items]));
    if (fresh || force) render();
    return fresh;
  } catch (err) {
    if (gen !== st.gen) return false;
    st.hooks = null;
    st.refusal = err;
    render();
    return false;
  }
}

function render() {
  const has = !!api.token();
  $("#adm-token-saved").hidden = !has;
  $("#adm-forget").hidden = !has;
  const input = $("#adm-token");
  const err = $("#adm-token-err");
  const status = $("#adm-status");
  const refusal = st.refusal;
  // The token's problem is said at its field, as in the departure form.
  let msg = "";
  if (refusal instanceof api.ApiError && (refusal.status === 401 || refusal.status === 403)) {
    msg = t("adm." + refusal.status, { detail: problemText(refusal) });
  }
  err.textContent = msg;
  err.hidden = !msg;
  if (msg) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "adm-intro adm-token-err");
  } else {
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "adm-intro");
  }
  status.dataset.state = refusal ? "refused" : !has ? "no-token" : st.hooks ? "listed" : "loading";
  const box = $("#adm-hooks");
  $("#adm-count").textContent = st.hooks ? `(${num(st.hooks.length)})` : "";
  if (refusal) {
    showError($("#adm-error"), refusal, () => refusal instanceof api.ApiError
      ? [h("span", { text: t("adm.failed", { status: refusal.status, detail: problemText(refusal) }) }), detailNode(refusal)]
      : [h("span", { text: t("adm.network") })]);
    status.textContent = "";
    $("#adm-new").hidden = true;
    clear(box);
    return;
  }
  showError($("#adm-error"), null);
  if (!has) {
    $("#adm-new").hidden = true;
    status.textContent = t("adm.needToken");
    clear(box);
    return;
  }
  $("#adm-new").hidden = !st.hooks;
  if (!st.hooks) {
    status.textContent = t("loading");
    return;
  }
  status.textContent = "";
  if (st.hooks.length === 0) {
    clear(box, h("p", { class: "muted empty", text: t("adm.none") }));
    return;
  }
  clear(box, ...st.hooks.map(hookCard));
}

function hookCard(w) {
  const state = w.active
    ? h("span", { class: "status s-arrived", text: t("adm.active") })
    : h("span", { class: "badge off", text: t("adm.inactive") });
  const facts = h("dl", { class: "facts" },
    h("dt", { text: t("adm.events") }), h("dd", null, ...w.events.map((e) => h("code", { class: "event", text: e === "*" ? t("adm.allEvents") : e }))),
    h("dt", { text: t("adm.state") }), h("dd", null, state,
      !w.active && w.disabled_reason ? h("span", { class: "reason", lang: "en", text: " " + w.disabled_reason }) : null,
      !w.active && !w.disabled_reason ? h("span", { class: "muted", text: " " + t("adm.byHand") }) : null),
    w.failing_since ? h("dt", { text: t("adm.failingSince") }) : null,
    w.failing_since ? h("dd", { text: dateTime(w.failing_since) }) : null,
    w.description ? h("dt", { text: t("adm.description") }) : null,
    w.description ? h("dd", { class: "description", text: w.description }) : null,
    h("dt", { text: t("adm.created") }), h("dd", { text: dateTime(w.created_at) }),
  );
  const headId = "adm-hook-" + w.id;
  const note = st.notes.get(w.id);
  const actions = h("div", { class: "buttons hook-actions" },
    h("button", { type: "button", class: "secondary toggle", "aria-label": t(w.active ? "adm.deactivateLabel" : "adm.activateLabel", { url: w.url }),
      text: t(w.active ? "adm.deactivate" : "adm.activate"), onclick: (e) => act(w, e.currentTarget, () => api.patch(`/api/v1/webhooks/${w.id}`, { active: !w.active }), w.active ? "adm.deactivated" : "adm.activated") }),
    h("button", { type: "button", class: "danger remove", "aria-label": t("adm.deleteLabel", { url: w.url }), text: t("adm.delete"),
      onclick: (e) => window.confirm(t("adm.confirmDelete", { url: w.url })) && act(w, e.currentTarget, () => api.del(`/api/v1/webhooks/${w.id}`), "adm.deleted") }),
    h("span", { class: "hook-note", role: "status", text: note ? note() : "" }));
  return h("article", { class: "panel hook", dataset: { id: w.id, active: String(w.active) }, "aria-labelledby": headId },
    h("h4", { id: headId, class: "hook-url mono", text: w.url }),
    facts,
    actions,
    h("h5", { text: t("adm.deliveries", { n: LAST }) }),
    deliveries(w, st.deliveries.get(w.id)));
}

function deliveries(w, ds) {
  if (ds instanceof Error) {
    return h("p", { class: "error", text: ds instanceof api.ApiError ? t("adm.failed", { status: ds.status, detail: problemText(ds) }) : t("adm.network") });
  }
  if (!ds || ds.length === 0) return h("p", { class: "muted empty", text: t("adm.noDeliveries") });
  const cols = [
    { label: t("adm.col.type") },
    { label: t("adm.col.status") },
    { label: t("adm.col.attempts"), num: true },
    { label: t("adm.col.code"), num: true },
    { label: t("adm.col.latency"), num: true },
    { label: t("adm.col.next") },
    { label: t("adm.col.when") },
    { label: t("adm.col.response") },
    { label: t("adm.col.action") },
  ];
  const rows = ds.map((d) => [
    { node: h("code", { text: d.type }) },
    { node: h("span", { class: "status d-" + d.status, text: t("adm.status." + d.status) }) },
    { text: num(d.attempts) },
    { text: d.last_status_code === null ? "—" : String(d.last_status_code) },
    { text: d.last_latency_ms === null ? "—" : t("adm.ms", { n: num(d.last_latency_ms) }) },
    { text: d.next_attempt_at ? dateTime(d.next_attempt_at) : "—" },
    { text: dateTime(d.last_attempt_at || d.created_at) },
    { node: answer(d) },
    { node: d.status === "failed"
      ? h("button", { type: "button", class: "secondary retry", "aria-label": t("adm.retryLabel", { type: d.type, when: dateTime(d.last_attempt_at || d.created_at) }), text: t("adm.retry"),
        onclick: (e) => act(w, e.currentTarget, () => api.post(`/api/v1/webhooks/${w.id}/deliveries/${d.id}/retry`, {}), "adm.retried") })
      : h("span", { class: "muted", text: "—" }) },
  ]);
  return table(t("adm.deliveriesLabel", { url: w.url }), cols, rows,
    (i) => ({ dataset: { id: ds[i].id, status: ds[i].status, type: ds[i].type } }));
}

// answer folds the start of the receiver's answer (or why there was none)
// behind a details element.
function answer(d) {
  const text = d.last_response !== null ? d.last_response : d.last_error;
  if (text === null || text === "") return h("span", { class: "muted", text: "—" });
  return h("details", { class: "response" },
    h("summary", { text: t(d.last_response !== null ? "adm.response" : "adm.error") }),
    h("pre", { lang: "en", text }));
}

// act runs an action on webhook w from button btn, says its result next to
// the webhook's buttons and reloads the list.
async function act(w, btn, call, done) {
  btn.disabled = true;
  try {
    await call();
    st.notes.set(w.id, () => t(done));
  } catch (err) {
    if (err instanceof api.ApiError && (err.status === 401 || err.status === 403)) {
      if (err.status === 401) api.setToken("");
      st.refusal = err; // said at the token
      st.notes.delete(w.id);
    } else {
      st.notes.set(w.id, () => (err instanceof api.ApiError ? t("adm.actFailed", { status: err.status, detail: problemText(err) }) : t("form.network")));
    }
  } finally {
    btn.disabled = false;
  }
  if (st.refusal) render();
  else await load(true);
}

// --- adding a webhook -------------------------------------------------------

const FORM = { url: "adm-url", events: "adm-events", description: "adm-description" };

function setFieldError(id, msg) {
  const el = document.getElementById(id);
  const err = document.getElementById(id + "-err");
  err.textContent = msg || "";
  err.hidden = !msg;
  if (msg) {
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", err.id);
  } else {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  }
}

// renderFormErrors says the add form's errors: e = { err } (an ApiError,
// each field error next to its field) or { network: true }.
function renderFormErrors(e) {
  for (const id of Object.values(FORM)) setFieldError(id, null);
  const box = $("#adm-new-err");
  if (e.network) {
    box.replaceChildren(h("span", { text: t("form.network") }));
    box.hidden = false;
    return null;
  }
  const byField = new Map();
  const unplaced = [];
  for (const fe of e.err.problem.errors || []) {
    const name = (fe.field || "").replace(/\[\d+\]$/, ""); // events[2] is about events
    if (FORM[name]) byField.set(name, [...(byField.get(name) || []), fieldText(fe)]);
    else unplaced.push(fieldName(fe.field) + (lang === "zh" ? "：" : ": ") + fieldText(fe));
  }
  let first = null;
  for (const [name, msgs] of byField) {
    setFieldError(FORM[name], msgs.join(lang === "zh" ? "；" : "; "));
    first = first || FORM[name];
  }
  box.replaceChildren(h("span", { text: t("adm.addFailed", { status: e.err.status, detail: problemText(e.err) }) }), detailNode(e.err) || "",
    ...(unplaced.length ? [h("ul", null, ...unplaced.map((u) => h("li", { text: u })))] : []));
  box.hidden = false;
  return first;
}

function clearFormErrors() {
  st.formErrors = null;
  for (const id of Object.values(FORM)) setFieldError(id, null);
  $("#adm-new-err").hidden = true;
  $("#adm-new-err").replaceChildren();
}

async function addWebhook() {
  clearFormErrors();
  const form = $("#adm-new-form");
  const chosen = [...form.querySelectorAll('input[name="events"]:checked')].map((c) => c.value);
  const body = { url: $("#adm-url").value.trim(), events: chosen.includes("*") ? ["*"] : chosen };
  const description = $("#adm-description").value.trim();
  if (description) body.description = description;
  const btn = $("#adm-add");
  btn.disabled = true;
  try {
    const wh = await api.post("/api/v1/webhooks", body);
    form.reset();
    $("#adm-secret-value").value = wh.secret;
    $("#adm-secret").hidden = false;
    $("#adm-secret-value").focus();
    $("#adm-secret-value").select();
    await load(true);
  } catch (err) {
    if (err instanceof api.ApiError && (err.status === 401 || err.status === 403)) {
      if (err.status === 401) api.setToken(""); // unknown or revoked: ask for it again
      st.refusal = err;
      render();
      $("#adm-token").focus();
    } else {
      st.formErrors = err instanceof api.ApiError ? { err } : { network: true };
      const first = renderFormErrors(st.formErrors);
      if (first === FORM.events) $("#adm-events input").focus();
      else if (first) document.getElementById(first).focus();
    }
  } finally {
    btn.disabled = false;
  }
}
