// Pieces shared by several views.
import { t, num, dateTime, problemText, serverDetail, ZONE, ZONE_OFFSET } from "./i18n.js";
import { h, table } from "./dom.js";
import { ApiError } from "./api.js";

export const MODES = ["rail", "sea_rail", "sea", "road", "air"];
export const DIRECTIONS = ["outbound", "inbound"];
export const STATUSES = ["planned", "departed", "arrived", "cancelled"];

// routeName answers a route's name in the current language.
export function routeName(r, lang) {
  if (!r) return "";
  return lang === "zh" && r.name_zh ? r.name_zh : r.name;
}

// OVERDUE_MS is how long past its departure a run may still be planned
// before it is overdue (models.OverdueAfter; GET /runs?overdue=true).
const OVERDUE_MS = 24 * 3600 * 1000;

// overdue reports whether a run is still planned a day after its departure.
export function overdue(r) {
  return r.status === "planned" && Date.parse(r.departed_at) < Date.now() - OVERDUE_MS;
}

// runTable lists runs; routes maps a code to its route (for names), newIds
// marks runs just logged.
export function runTable(label, runs, routes, lang, newIds) {
  const cols = [
    { label: t("col.departed") },
    { label: t("col.route") },
    { label: t("col.number") },
    { label: t("col.status") },
    { label: t("col.direction") },
    { label: t("col.containers"), num: true },
    { label: t("col.teu"), num: true },
    { label: t("col.cargo") },
  ];
  const rows = runs.map((r) => {
    const route = routes && routes.get(r.route);
    const isNew = newIds && newIds.has(r.id);
    return [
      { node: h("span", null, dateTime(r.departed_at), isNew ? h("span", { class: "badge new", text: t("runs.new") }) : null) },
      { node: h("span", { class: "code", title: route ? routeName(route, lang) : null, text: r.route }) },
      { node: h("a", { href: "#/run/" + r.id, class: "mono run-link", text: r.number }) },
      { node: h("span", null, h("span", { class: "status s-" + r.status, text: t("status." + r.status) }),
        overdue(r) ? h("span", { class: "badge overdue", title: t("runs.overdueTitle"), text: t("runs.overdueBadge") }) : null) },
      { text: t("dir." + r.direction) },
      { text: num(r.containers) },
      { text: num(r.teu) },
      // Long cargo texts are cut to two lines; the title holds all of it.
      { node: h("span", { class: "clamp", title: r.cargo || null, text: r.cargo || "" }), class: "cargo" },
    ];
  });
  const wrap = table(label, cols, rows, (i) => ({ dataset: { id: runs[i].id, number: runs[i].number }, class: newIds && newIds.has(runs[i].id) ? "new" : null }));
  return wrap;
}

// detailNode keeps the server's own wording of a refusal at hand (folded)
// when the page showed its own text instead.
export function detailNode(err, always) {
  const d = always ? err.problem.detail : serverDetail(err);
  return d ? h("details", { class: "server-detail" }, h("summary", { text: t("form.serverDetail") }), h("code", { lang: "en", text: d })) : null;
}

// errorNodes describes a failed load in the current language.
export function errorNodes(err, prefix) {
  const lead = prefix || t("error.load");
  if (err instanceof ApiError) {
    return [h("span", { text: lead + problemText(err) }), detailNode(err)];
  }
  return [h("span", { text: lead + (err && err.message ? err.message : String(err)) })];
}

// Shown errors are kept so that a language switch can say them again.
const shownErrors = new Map(); // element -> () => nodes

export function showError(el, err, render) {
  if (!el) return;
  if (err) {
    const nodes = render || (() => errorNodes(err));
    shownErrors.set(el, nodes);
    el.replaceChildren(...nodes().filter(Boolean));
    el.hidden = false;
  } else {
    shownErrors.delete(el);
    el.hidden = true;
    el.textContent = "";
  }
}

// relabelErrors says every shown error again in the current language.
export function relabelErrors() {
  for (const [el, nodes] of shownErrors) {
    if (!el.isConnected || el.hidden) shownErrors.delete(el);
    else el.replaceChildren(...nodes().filter(Boolean));
  }
}

// fillSelect replaces a select's options with [value, text] pairs and keeps
// the current value when it is still offered.
export function fillSelect(sel, pairs, keep) {
  const cur = keep === undefined ? sel.value : keep;
  sel.replaceChildren(...pairs.map(([v, text]) => h("option", { value: v, text })));
  if (pairs.some(([v]) => String(v) === String(cur))) sel.value = String(cur);
}

// announceShown tells the page that the shown view now holds other data
// at the reader's request (the footer then says it was updated).
export function announceShown() {
  window.dispatchEvent(new CustomEvent("banlie:shown"));
}

// zonedInstant turns a form's local time into an RFC 3339 instant in the
// reporting zone, with the zone's offset on that date (daylight saving
// included where the zone has it).
export function zonedInstant(v) {
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

export { num };
