// Pieces shared by several views.
import { t, num, dateTime } from "./i18n.js";
import { h, table } from "./dom.js";

export const MODES = ["rail", "sea_rail", "sea", "road", "air"];
export const DIRECTIONS = ["outbound", "inbound"];
export const STATUSES = ["planned", "departed", "arrived", "cancelled"];

// routeName answers a route's name in the current language.
export function routeName(r, lang) {
  if (!r) return "";
  return lang === "zh" && r.name_zh ? r.name_zh : r.name;
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
      { text: r.number, class: "mono" },
      { node: h("span", { class: "status s-" + r.status, text: t("status." + r.status) }) },
      { text: t("dir." + r.direction) },
      { text: num(r.containers) },
      { text: num(r.teu) },
      { text: r.cargo || "", class: "cargo" },
    ];
  });
  const wrap = table(label, cols, rows, (i) => ({ dataset: { id: runs[i].id, number: runs[i].number }, class: newIds && newIds.has(runs[i].id) ? "new" : null }));
  return wrap;
}

// errorText describes a failed load in the current language.
export function errorText(err) {
  return t("error.load") + (err && err.message ? err.message : String(err));
}

export function showError(el, err) {
  if (!el) return;
  if (err) {
    el.textContent = errorText(err);
    el.hidden = false;
  } else {
    el.hidden = true;
    el.textContent = "";
  }
}

// fillSelect replaces a select's options with [value, text] pairs and keeps
// the current value when it is still offered.
export function fillSelect(sel, pairs, keep) {
  const cur = keep === undefined ? sel.value : keep;
  sel.replaceChildren(...pairs.map(([v, text]) => h("option", { value: v, text })));
  if (pairs.some(([v]) => String(v) === String(cur))) sel.value = String(cur);
}

export { num };
