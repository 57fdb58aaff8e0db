// Summaries: the list of monthly summaries and the chosen one, in the chosen
// language, with links to the server's HTML documents.
import * as api from "./api.js";
import { t, lang, monthOf, dateTime } from "./i18n.js";
import { h, $, clear } from "./dom.js";
import { fillSelect, errorNodes, detailNode, announceShown } from "./common.js";

// error: the failure to show instead of a summary, said again on a language switch.
const st = { started: false, list: [], period: "", summary: null, gen: 0, error: null };

export function init() {
  $("#sum-form").addEventListener("submit", (e) => e.preventDefault());
  $("#sum-period").addEventListener("change", (e) => {
    history.replaceState(null, "", "#/summaries/" + e.target.value);
    choose(e.target.value, true).then(announceShown);
  });
}

// show takes the period from the address, #/summaries/2024-10.
export async function show(args) {
  const arg = (args && args[0]) || "";
  const want = /^\d{4}-\d{2}$/.test(arg) ? arg : "";
  let fresh = false;
  if (!st.started) {
    st.started = true;
    fresh = await loadList(true);
    if (!arg) await choose((st.list[0] && st.list[0].period) || "", true);
  }
  if (arg && !want) {
    // Not a month: say so rather than keep showing another summary.
    st.period = "";
    st.summary = null;
    st.error = { badPeriod: arg };
    render();
    return fresh;
  }
  if (want && want !== st.period) return (await choose(want, true)) || fresh;
  return fresh;
}

export async function refresh() {
  if (!st.started) return false;
  const a = await loadList(false);
  const b = st.period ? await choose(st.period, false) : false;
  return a || b;
}

export function relabel() {
  if (!st.started) return;
  fillList();
  render();
}

async function loadList(force) {
  try {
    const r = await api.get("/api/v1/summaries");
    if (r.fresh || force) {
      st.list = r.data.items;
      fillList();
    }
    return r.fresh;
  } catch (err) {
    st.error = { err };
    render();
    return false;
  }
}

function fillList() {
  fillSelect($("#sum-period"), st.list.map((x) => [x.period, monthOf(x.period)]), st.period);
  // With no summaries there is nothing to choose: no empty picker.
  $("#sum-form").hidden = st.list.length === 0;
  if (st.list.length === 0) {
    clear($("#sum-links"), h("li", { class: "muted", text: t("sum.noneList") }));
    return;
  }
  clear($("#sum-links"), ...st.list.map((x) => h("li", null, h("a", {
    href: "#/summaries/" + x.period, "aria-current": x.period === st.period ? "page" : null, text: monthOf(x.period),
  }))));
}

async function choose(period, force) {
  const gen = ++st.gen;
  st.period = period;
  const hadError = !!st.error;
  st.error = null;
  if (!period) {
    st.summary = null;
    render();
    return false;
  }
  $("#sum-period").value = period;
  for (const a of document.querySelectorAll("#sum-links a")) {
    if (a.getAttribute("href") === "#/summaries/" + period) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  try {
    const r = await api.get("/api/v1/summaries/" + encodeURIComponent(period));
    if (gen !== st.gen) return false;
    if (r.fresh || force || hadError) {
      st.summary = r.data;
      render();
    }
    return r.fresh;
  } catch (err) {
    if (gen === st.gen) {
      st.summary = null;
      st.error = { err, period };
      render();
    }
    return false;
  }
}

// errorView says why no summary is shown: a month with no summary (404) in
// plain words, with the server's own message folded away.
function errorView(e) {
  if (e.badPeriod !== undefined) return h("p", { class: "error", role: "alert", text: t("sum.badPeriod", { period: e.badPeriod }) });
  const err = e.err;
  if (e.period && err instanceof api.ApiError && err.status === 404) {
    return h("div", { class: "missing", role: "status" },
      h("p", { text: t("sum.missing", { period: monthOf(e.period) }) }), detailNode(err, true));
  }
  return h("p", { class: "error", role: "alert" }, ...errorNodes(err).filter(Boolean));
}

function render() {
  const box = $("#summary");
  const sm = st.summary;
  delete box.dataset.period;
  if (st.error) {
    clear(box, errorView(st.error));
    return;
  }
  if (!sm) {
    clear(box, h("p", { class: "muted", text: t("sum.none") }));
    return;
  }
  const text = lang === "zh" ? sm.text_zh : sm.text_en;
  const base = "/api/v1/summaries/" + encodeURIComponent(sm.period) + "?format=html&lang=";
  clear(box,
    h("h3", { id: "summary-h", text: t("sum.title", { period: monthOf(sm.period) }) }),
    h("p", { class: "muted", text: t("sum.generated", { time: dateTime(sm.generated_at) }) }),
    h("div", { class: "summary-text", lang: lang === "zh" ? "zh-CN" : "en-GB", dataset: { period: sm.period } },
      ...text.split("\n").filter((x) => x.trim()).map((para) => h("p", { text: para }))),
    h("p", { class: "links" },
      h("a", { href: base + "zh", hreflang: "zh", text: t("sum.html") }), " · ",
      h("a", { href: base + "en", hreflang: "en", text: t("sum.htmlEn") })));
  box.dataset.period = sm.period;
}
