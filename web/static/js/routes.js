// Routes: the network by mode, a schematic of the corridors drawn from stop
// order (inline SVG, no map tiles), and every route with its stops.
import * as api from "./api.js";
import { t, lang, num, date, country, place, tag } from "./i18n.js";
import { h, s, $, clear } from "./dom.js";
import { MODES, fillSelect, routeName, errorNodes, announceShown } from "./common.js";

const st = { started: false, network: null, routes: [], mode: "rail" };

export function init() {
  new ResizeObserver(redrawIfFlipped).observe($("#schematic"));
  $("#mode-form").addEventListener("submit", (e) => e.preventDefault());
  $("#rt-mode").addEventListener("change", (e) => {
    st.mode = e.target.value;
    writeHash();
    render();
    announceShown();
  });
}

// The mode shown is kept in the address: #/routes?mode=sea (mode=all for
// every mode; rail, the default, needs none).
function readHash() {
  const m = new URLSearchParams(location.hash.split("?")[1] || "").get("mode");
  if (m === "all") return "";
  return MODES.includes(m) ? m : null;
}

function writeHash() {
  const want = st.mode === "rail" ? "#/routes" : "#/routes?mode=" + (st.mode || "all");
  if (location.hash !== want) history.replaceState(null, "", want);
}

export async function show() {
  const want = readHash();
  if (!st.started) {
    st.started = true;
    if (want !== null) st.mode = want;
    return load(true);
  }
  if (want !== null && want !== st.mode) {
    st.mode = want;
    if (st.network) render();
  } else if (want === null) {
    writeHash();
  }
  return false;
}

export function refresh() {
  return st.started ? load(false) : Promise.resolve(false);
}

export function relabel() {
  if (st.started && st.network) render();
}

async function load(force) {
  let err = null;
  let fresh = false;
  try {
    const [net, routes] = await Promise.all([api.get("/api/v1/network"), api.getAll("/api/v1/routes?limit=100")]);
    fresh = net.fresh || routes.fresh;
    st.network = net.data;
    st.routes = routes.data;
  } catch (e) {
    err = e;
  }
  if (err) {
    clear($("#network"), h("p", { class: "error", role: "alert" }, ...errorNodes(err)));
    return false;
  }
  if (fresh || force) render();
  return fresh;
}

function render() {
  const n = st.network;
  const counts = MODES.map((m) => [m, n.routes[m] || 0]);
  fillSelect($("#rt-mode"), [["", t("rt.all")], ...counts.map(([m, c]) => [m, `${t("mode." + m)} (${num(c)})`])], st.mode);
  clear($("#network"),
    h("dl", { class: "stats" },
      ...counts.filter(([, c]) => c > 0).map(([m, c]) => h("div", { class: "stat", dataset: { mode: m } }, h("dt", { text: t("mode." + m) }), h("dd", { text: num(c) }))),
      h("div", { class: "stat" }, h("dt", { text: t("rt.destinations") }), h("dd", { text: num(n.destinations) })),
      h("div", { class: "stat" }, h("dt", { text: t("rt.countries") }), h("dd", { text: num(n.countries) }))));
  const shown = st.routes.filter((r) => !st.mode || r.mode === st.mode);
  $("#rt-count").textContent = t("rt.count", { n: num(shown.length) });
  clear($("#schematic"), schematic(shown));
  clear($("#routes"), ...shown.map(routeCard));
  fillTransit();
}

// Each rail route's card says its median transit time in each direction,
// over every arrival logged (stored figures: cheap, and 304 while nothing
// changes).
st.transit = new Map(); // code -> { outbound, inbound }

async function fillTransit() {
  for (const p of document.querySelectorAll("#routes .route-transit")) {
    const code = p.dataset.code;
    try {
      const [o, i] = await Promise.all(["outbound", "inbound"].map((d) => api.get(`/api/v1/routes/${encodeURIComponent(code)}/transit?direction=${d}`)));
      st.transit.set(code, { outbound: o.data, inbound: i.data });
      if (p.isConnected) p.textContent = transitText(st.transit.get(code));
      p.dataset.outbound = o.data.median_days === null ? "" : String(o.data.median_days);
      p.dataset.inbound = i.data.median_days === null ? "" : String(i.data.median_days);
      p.hidden = !p.textContent;
    } catch (err) {
      console.error(err);
    }
  }
}

function transitText({ outbound, inbound }) {
  const n = outbound.runs + inbound.runs;
  if (n === 0) return "";
  const d = (x) => (x.median_days === null ? "—" : t("run.days", { n: num(x.median_days) }));
  let s = t("rt.transit", { out: d(outbound), in: d(inbound), n: num(n) });
  const all = [outbound, inbound].filter((x) => x.runs > 0 && x.within_plan !== null);
  if (all.length && outbound.planned_transit_days !== null) {
    const within = all.reduce((a, x) => a + x.within_plan * x.runs, 0) / all.reduce((a, x) => a + x.runs, 0);
    s += t("rt.withinPlan", { pct: new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en-GB", { style: "percent", maximumFractionDigits: 0 }).format(within), plan: num(outbound.planned_transit_days) });
  }
  return s;
}

const firstBorder = (r) => r.stops.find((x) => x.role === "border");

// The schematic is drawn across (stops left to right) when there is room,
// and down (stops top to bottom, routes side by side) on narrow screens.
const NARROW = 640;
let drawnNarrow = null;

function corridors(routes) {
  const groups = new Map();
  for (const r of routes) {
    const b = firstBorder(r);
    const key = b ? place(b.name) : "";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return Array.from(groups.entries()).sort((a, b) => (a[0] === "" ? 1 : b[0] === "" ? -1 : a[0].localeCompare(b[0], lang === "zh" ? "zh-CN" : "en")));
}

function stopMark(stop, x, y) {
  if (stop.role === "border") {
    return s("rect", { x: x - 6, y: y - 6, width: 12, height: 12, transform: `rotate(45 ${x} ${y})`, class: "sg-border" });
  }
  return s("circle", { cx: x, cy: y, r: stop.role === "transit" ? 5 : 7, class: "sg-stop sg-" + stop.role });
}

function routeGroup(r) {
  const g = s("g", { class: "sg-route m-" + r.mode + (r.active ? "" : " inactive"), dataset: { code: r.code } });
  g.appendChild(s("title", { text: routeName(r, lang) + " (" + r.code + ")" }));
  return g;
}

function nameClass(stop) {
  return "sg-name" + (stop.role === "border" ? " b" : stop.role === "destination" ? " d" : "");
}

// schematic draws each route from its stops in order, grouped by the first
// border crossing (the corridor): dots are stops, diamonds border crossings.
function schematic(routes) {
  if (routes.length === 0) return h("p", { class: "muted", text: t("rt.none") });
  const avail = $("#schematic").clientWidth || 1000;
  const narrow = avail < NARROW;
  drawnNarrow = narrow;
  const items = [];
  let width;
  let y = 8;
  if (!narrow) {
    const maxStops = Math.max(...routes.map((r) => r.stops.length));
    const left = 150;
    const step = 128;
    width = left + (maxStops - 1) * step + 90;
    for (const [border, rs] of corridors(routes)) {
      items.push(s("text", { x: 4, y: y + 16, class: "sg-head", text: border ? t("rt.via", { border }) : t("rt.direct") }));
      y += 26;
      for (const r of rs) {
        const cy = y + 24;
        const xs = r.stops.map((_, i) => left + i * step);
        const g = routeGroup(r);
        g.appendChild(s("text", { x: 4, y: cy + 4, class: "sg-code", text: r.code }));
        g.appendChild(s("line", { x1: xs[0], y1: cy, x2: xs[xs.length - 1], y2: cy, class: "sg-line" }));
        r.stops.forEach((stop, i) => {
          g.appendChild(stopMark(stop, xs[i], cy));
          const above = i % 2 === 1;
          g.appendChild(s("text", { x: xs[i], y: above ? cy - 12 : cy + 21, "text-anchor": "middle", class: nameClass(stop), text: place(stop.name) }));
        });
        items.push(g);
        y += 58;
      }
    }
  } else {
    width = Math.max(260, Math.floor(avail));
    const cols = Math.max(1, Math.floor(width / 160));
    const colW = width / cols;
    const stepY = 24;
    for (const [border, rs] of corridors(routes)) {
      items.push(s("text", { x: 2, y: y + 16, class: "sg-head", text: border ? t("rt.via", { border }) : t("rt.direct") }));
      y += 26;
      for (let i = 0; i < rs.length; i += cols) {
        const row = rs.slice(i, i + cols);
        const tallest = Math.max(...row.map((r) => r.stops.length));
        row.forEach((r, j) => {
          const x0 = j * colW + 4;
          const lx = x0 + 9;
          const ys = r.stops.map((_, k) => y + 30 + k * stepY);
          const g = routeGroup(r);
          g.appendChild(s("text", { x: x0, y: y + 12, class: "sg-code", text: r.code }));
          g.appendChild(s("line", { x1: lx, y1: ys[0], x2: lx, y2: ys[ys.length - 1], class: "sg-line" }));
          r.stops.forEach((stop, k) => {
            g.appendChild(stopMark(stop, lx, ys[k]));
            g.appendChild(s("text", { x: lx + 15, y: ys[k] + 4, class: nameClass(stop), text: place(stop.name) }));
          });
          items.push(g);
        });
        y += 30 + (tallest - 1) * stepY + 24;
      }
    }
  }
  const legendY = y + 14;
  const gap = narrow ? 0 : 1;
  const legend = s("g", { class: "sg-legend" },
    s("circle", { cx: 10, cy: legendY, r: 6, class: "sg-stop sg-origin" }),
    s("text", { x: 22, y: legendY + 4, text: t("rt.legend.stop") }),
    s("rect", { x: 84 + 20 * gap, y: legendY - 6, width: 12, height: 12, transform: `rotate(45 ${90 + 20 * gap} ${legendY})`, class: "sg-border" }),
    s("text", { x: 104 + 20 * gap, y: legendY + 4, text: t("rt.legend.border") }),
    s("circle", { cx: 10, cy: legendY + 24 * (1 - gap), r: 5, class: "sg-stop sg-transit", transform: gap ? "translate(260 0)" : null }),
    s("text", { x: 22, y: legendY + 24 * (1 - gap) + 4, text: t("rt.legend.transit"), transform: gap ? "translate(260 0)" : null }));
  const total = legendY + 14 + 24 * (1 - gap);
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${total}`, width, height: total, role: "img", "aria-labelledby": "sg-title", class: "sg",
  }, s("title", { id: "sg-title", text: t("rt.schematic.alt", { n: routes.length }) }), ...items, legend);
  return h("div", { class: "sg-wrap", tabindex: narrow ? null : "0", role: "region", "aria-label": t("rt.schematic") }, svg);
}

function redrawIfFlipped() {
  if (!st.network || drawnNarrow === null) return;
  const w = $("#schematic").clientWidth;
  if (w > 0 && (w < NARROW) !== drawnNarrow) render();
}

function routeCard(r) {
  const borders = r.stops.filter((x) => x.role === "border");
  const other = lang === "zh" ? r.name : r.name_zh;
  return h("article", { class: "route" + (r.active ? "" : " inactive"), dataset: { code: r.code, mode: r.mode } },
    h("h4", null, h("span", { text: routeName(r, lang) }), " ", h("span", { class: "badge mode m-" + r.mode, text: t("mode." + r.mode) })),
    other ? h("p", { class: "muted", lang: lang === "zh" ? "en" : "zh-CN", text: other }) : null,
    h("p", { class: "meta" },
      h("span", { class: "code", text: r.code }), " · ",
      h("span", { text: r.opened_on ? t("rt.opened", { date: date(r.opened_on) }) : t("rt.openedUnknown") }),
      r.active ? null : h("span", { class: "badge off", text: t("rt.inactive") }),
      ...(r.tags || []).map((x) => h("span", { class: "tag", title: x, dataset: { tag: x }, text: tag(x) }))),
    r.mode === "rail" ? h("p", { class: "route-transit", dataset: { code: r.code }, hidden: !st.transit.has(r.code),
      text: st.transit.has(r.code) ? transitText(st.transit.get(r.code)) : "" }) : null,
    h("p", { class: "borders" }, h("strong", { text: t("rt.borders") + (lang === "zh" ? "：" : ": ") }),
      borders.length ? borders.map((b) => `${place(b.name)} (${country(b.country)})`).join(" → ") : t("rt.noBorders")),
    h("ol", { class: "stops", "aria-label": t("rt.stops") },
      ...r.stops.map((x) => h("li", { class: "r-" + x.role },
        h("span", { class: "stop-name", lang: place(x.name) === x.name && lang === "zh" ? "en" : null, text: place(x.name) }),
        h("span", { class: "muted", text: ` · ${country(x.country)}${x.locode ? " · " + x.locode : ""} · ${t("role." + x.role)}` })))));
}
