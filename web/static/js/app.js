// The dashboard: its views in one page, chosen by the address's hash
// (#/, #/routes, #/runs, #/summaries/2024-10, #/admin), a language switch, and the
// shown view kept current: by the server's event stream (live.js), which
// says what changed, else by a conditional refresh every few seconds.
//
// Refresh interval: ?refresh=SECONDS in the page address (0 turns it off),
// else <html data-refresh="15">. While the stream is live the interval
// polling runs every LIVE_POLL_S seconds only (it still catches what the
// stream does not announce: routes, ports, targets). ?live=0 leaves the
// stream closed. Language: ?lang=zh|en, else the choice kept in
// localStorage, else the browser's language.
import { t, lang, setLang, applyTexts, clock, problemText } from "./i18n.js";
import { $ } from "./dom.js";
import { setToken, get as apiGet, ApiError } from "./api.js";
import { relabelErrors } from "./common.js";
import { listen } from "./live.js";

// Each view's module is loaded when the view is first shown.
const modules = {
  overview: () => import("./overview.js"),
  routes: () => import("./routes.js"),
  runs: () => import("./runs.js"),
  summaries: () => import("./summaries.js"),
  run: () => import("./run.js"),
  admin: () => import("./admin.js"),
};
const views = {}; // the views loaded so far
let current = null;

async function view(name) {
  if (!views[name]) {
    const m = await modules[name]();
    if (!views[name]) {
      m.init();
      views[name] = m;
    }
  }
  return views[name];
}

function refreshSeconds() {
  const q = new URLSearchParams(location.search).get("refresh");
  const v = q !== null ? Number(q) : Number(document.documentElement.dataset.refresh || 15);
  return Number.isFinite(v) && v >= 0 ? v : 15;
}
const every = refreshSeconds();
const LIVE_POLL_S = 300;
const liveWanted = new URLSearchParams(location.search).get("live") !== "0";
// The stream's state (live.js), or "off" without it; the footer shows it
// (#refresh-info, also as data-live).
let liveState = liveWanted ? "connecting" : "off";

function parseHash() {
  const hash = location.hash;
  if (hash && !hash.startsWith("#/")) return null; // an in-page anchor such as #main
  const path = hash.slice(2).split("?")[0];
  const [name, ...args] = path.split("/");
  return { name: modules[name] ? name : "overview", args };
}

async function route(focus) {
  const r = parseHash();
  if (!r) return;
  const changed = current !== r.name;
  current = r.name;
  for (const name of Object.keys(modules)) {
    document.getElementById("view-" + name).hidden = name !== r.name;
  }
  for (const a of document.querySelectorAll("nav a[data-view]")) {
    if (a.dataset.view === (r.name === "run" ? "runs" : r.name)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.body.dataset.view = r.name;
  if (changed && focus) $(`#view-${r.name} h2`).focus();
  try {
    const v = await view(r.name);
    if (current !== r.name) return; // another view was chosen meanwhile
    // A view the stream said changed while it was not shown is refreshed
    // when it is shown again.
    const stale = dirty.delete(r.name);
    let fresh = await v.show(r.args);
    if (stale && !fresh && current === r.name) fresh = await v.refresh();
    if (fresh) stamp(true);
  } catch (err) {
    console.error(err);
  }
}

async function getJSON(url) {
  const r = await apiGet(url);
  return r.data;
}

function problemOf(err) {
  return err instanceof ApiError ? problemText(err) : String(err);
}

function stamp(fresh) {
  $("#updated").textContent = t(fresh ? "updated" : "checked", { time: clock(new Date()) });
}

function labelRefresh() {
  const el = $("#refresh-info");
  const polling = every > 0 ? t("refresh.every", { n: every }) : t("refresh.off");
  el.dataset.live = liveState;
  if (liveState === "live") el.textContent = t("live.on");
  else if (liveState === "fallback") el.textContent = t("live.fallback", { refresh: polling });
  else el.textContent = polling;
}

let pollTimer = 0;
function schedulePolling() {
  clearInterval(pollTimer);
  pollTimer = 0;
  if (every <= 0) return;
  const s = liveState === "live" ? Math.max(every, LIVE_POLL_S) : every;
  pollTimer = setInterval(poll, s * 1000);
}

let busy = false;
async function poll() {
  if (busy || document.hidden || !views[current]) return;
  busy = true;
  dirty.delete(current);
  try {
    stamp(await views[current].refresh());
  } catch (err) {
    console.error(err);
  } finally {
    busy = false;
  }
}

// What the stream's events concern: the views to refresh. Runs and their
// journeys change the overview (tiles, chart, latest runs, in transit), the
// routes' figures, the run log and the open run page if it is that run;
// sea-rail counts, targets reached and milestones the overview; summaries
// the summaries view; every event the admin view (its webhooks' deliveries).
// A reset concerns every view.
function concerns(type, data) {
  if (type === "reset") return Object.keys(modules);
  return ["admin", ...viewsOf(type, data)]; // any event may be delivered to a webhook
}

function viewsOf(type, data) {
  if (type.startsWith("run.")) {
    const names = ["overview", "routes", "runs"];
    const id = data && (type.startsWith("run.event") ? data.run_id : data.id);
    const r = parseHash();
    if (current === "run" && (!id || (r && Number(r.args[0]) === id))) names.push("run");
    return names;
  }
  if (type.startsWith("searail.") || type === "target.reached" || type === "milestone.reached") return ["overview"];
  if (type.startsWith("summary.")) return ["summaries"];
  if (type === "totals.updated") return ["overview", "routes"];
  return [];
}

// Views the stream said changed and not refreshed since; the shown one is
// refreshed soon after (events that come together, one refresh).
const dirty = new Set();
let soon = 0;
function heard(type, data) {
  mark(concerns(type, data));
}

function mark(names) {
  for (const name of names) if (views[name]) dirty.add(name);
  if (dirty.has(current) && !soon) soon = setTimeout(refreshDirty, 300);
}

function refreshDirty() {
  soon = 0;
  if (!dirty.has(current) || document.hidden) return; // shown again: visibilitychange
  if (busy) soon = setTimeout(refreshDirty, 300); // a refresh that may have read before the change
  else poll();
}

function liveChanged(s) {
  liveState = s;
  labelRefresh();
  schedulePolling();
}

function switchLang() {
  setLang(lang === "zh" ? "en" : "zh");
  applyTexts(document);
  labelRefresh();
  for (const v of Object.values(views)) v.relabel();
  relabelErrors();
  document.body.dataset.lang = lang;
}

// search finds a train by its number, or a container by its ISO 6346
// number: one run found opens its page, several the run log filtered by it.
const CONTAINER = /^[A-Za-z]{3}[UJZujz]\s*\d{6}\s*\d$/;

async function search() {
  const q = $("#search-q").value.trim();
  const status = $("#search-status");
  status.textContent = "";
  if (!q) return;
  const param = CONTAINER.test(q) ? "container" : "number";
  const value = param === "container" ? q.replace(/\s+/g, "").toUpperCase() : q;
  try {
    const r = await getJSON(`/api/v1/runs?${param}=${encodeURIComponent(value)}&limit=2`);
    if (r.items.length === 0) status.textContent = t("search.none", { q });
    else if (r.items.length === 1) location.hash = "#/run/" + r.items[0].id;
    else location.hash = "#/runs?" + param + "=" + encodeURIComponent(value);
  } catch (err) {
    status.textContent = t("search.failed", { detail: problemOf(err) });
  }
}

function start() {
  applyTexts(document);
  document.body.dataset.lang = lang;
  labelRefresh();
  $("#lang").addEventListener("click", switchLang);
  $("#skip").addEventListener("click", (e) => {
    e.preventDefault();
    $("#main").focus();
  });
  window.addEventListener("hashchange", () => route(true));
  $("#search").addEventListener("submit", (e) => {
    e.preventDefault();
    search();
  });
  // A view that shows other data at the reader's request (another period,
  // other filters) says so in the footer.
  window.addEventListener("banlie:shown", () => stamp(true));
  // Private reads: a 401 shows the sign-in form; the token typed there is
  // kept for this tab (the departure form uses the same one).
  const signin = $("#signin");
  window.addEventListener("banlie:unauthorized", (e) => {
    $("#signin-error").textContent = e.detail.hadToken ? t("signin.rejected") : "";
    if (signin.hidden) {
      signin.hidden = false;
      $("#signin-token").focus();
    }
  });
  signin.addEventListener("submit", async (e) => {
    e.preventDefault();
    const tok = $("#signin-token").value.trim();
    // Try the token first, so that a wrong one is said at once.
    const res = await fetch("/api/v1/meta", { cache: "no-store", headers: { Authorization: "Bearer " + tok } }).catch(() => null);
    if (!res || !res.ok) {
      $("#signin-error").textContent = t("signin.rejected");
      $("#signin-token").focus();
      return;
    }
    setToken(tok);
    location.reload(); // every view starts again, now with the token
  });
  schedulePolling();
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && (every > 0 || dirty.has(current))) poll();
  });
  route(false);
  if (liveWanted) listen({ event: heard, state: liveChanged });
}

start();
