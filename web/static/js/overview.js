// Overview: year-to-date tiles with YoY, target progress, monthly chart and
// the latest departures, for a year and a "through" month.
import * as api from "./api.js";
import { t, lang, num, teu, pct, date, dateTime, period, monthName, today, place } from "./i18n.js";
import { h, $, clear, table } from "./dom.js";
import { runTable, showError, fillSelect, routeName, announceShown } from "./common.js";

const st = {
  year: 0,
  through: 0,
  latest: null, // { year, month } of the newest counted run
  years: [],
  gen: 0,
  started: false,
  data: {}, // what each part last rendered, for a language switch
  chart: null,
};

const pad = (m) => String(m).padStart(2, "0");
const lastDay = (y, m) => `${y}-${pad(m)}-${pad(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;
const thisYearMonth = () => today().slice(0, 7).split("-").map(Number);

// maxMonth is the last month that can be chosen in a year.
function maxMonth(y) {
  const [cy, cm] = thisYearMonth();
  return y === cy ? cm : 12;
}

// defaultThrough: the newest counted run's month in its year, else the last
// month that can be chosen.
function defaultThrough(y) {
  if (st.latest && st.latest.year === y) return st.latest.month;
  return maxMonth(y);
}

// findLatest asks the server for the newest month with counted runs and the
// years that have figures (GET /api/v1/meta).
async function findLatest() {
  const r = await api.get("/api/v1/meta");
  const [cy, cm] = thisYearMonth();
  const m = r.data.latest_counted_month;
  st.latest = m ? { year: Number(m.slice(0, 4)), month: Number(m.slice(5, 7)) } : { year: cy, month: cm };
  st.years = r.data.years_with_data.length ? r.data.years_with_data : [st.latest.year];
  // A hub manager looks first at the year of the plan: the newest year
  // with a target (not after this one), through its newest month with
  // data; without targets, the newest month with data.
  try {
    const tg = await api.getAll("/api/v1/targets?limit=100");
    const years = tg.data.map((x) => x.year).filter((y) => y <= cy);
    if (years.length) {
      const y = Math.max(...years);
      if (y > st.latest.year) st.latest = { year: y, month: y === cy ? cm : 12 };
      else if (y < st.latest.year) st.latest = { year: y, month: 12 };
      if (!st.years.includes(y)) st.years = [y, ...st.years].sort((a, b) => b - a);
    }
  } catch (err) {
    console.error(err); // the figures still open, on the newest month with data
  }
}

function fillPickers() {
  const ysel = $("#year");
  const years = st.years.includes(st.year) ? st.years : [st.year, ...st.years].sort((a, b) => b - a);
  fillSelect(ysel, years.map((y) => [y, lang === "zh" ? `${y}年` : String(y)]), st.year);
  const msel = $("#through");
  const months = [];
  for (let m = 1; m <= maxMonth(st.year); m++) months.push([m, lang === "zh" ? `1—${m}月` : `${monthName(1, "short")}–${monthName(m, "short")}`]);
  months[0][1] = lang === "zh" ? "1月" : monthName(1, "short");
  fillSelect(msel, months, st.through);
}

function readHash() {
  const q = new URLSearchParams((location.hash.split("?")[1]) || "");
  const y = Number(q.get("year"));
  const m = Number(q.get("through"));
  return { y: Number.isInteger(y) && y >= 2000 && y <= 2100 ? y : 0, m: Number.isInteger(m) && m >= 1 && m <= 12 ? m : 0 };
}

function writeHash() {
  const want = `#/?year=${st.year}&through=${st.through}`;
  if (location.hash !== want) history.replaceState(null, "", want);
}

export function init() {
  $("#period-form").addEventListener("submit", (e) => e.preventDefault());
  $("#year").addEventListener("change", (e) => {
    st.year = Number(e.target.value);
    st.through = Math.min(st.through || 12, maxMonth(st.year));
    if (st.latest && st.year === st.latest.year && st.through > st.latest.month) st.through = st.latest.month;
    fillPickers();
    writeHash();
    load(true).then(announceShown);
  });
  $("#through").addEventListener("change", (e) => {
    st.through = Number(e.target.value);
    writeHash();
    load(true).then(announceShown);
  });
  new ResizeObserver(() => resizeChart()).observe($("#chart"));
}

export async function show() {
  if (!st.started) {
    st.started = true;
    try {
      await findLatest();
    } catch (err) {
      showError($("#tiles-error"), err);
      const [cy, cm] = thisYearMonth();
      st.latest = { year: cy, month: cm };
      st.years = [cy];
    }
    const want = readHash();
    st.year = want.y || st.latest.year;
    st.through = Math.min(want.m || defaultThrough(st.year), maxMonth(st.year));
    fillPickers();
    return load(true);
  }
  const want = readHash();
  if ((want.y && want.y !== st.year) || (want.m && want.m !== st.through)) {
    st.year = want.y || st.year;
    st.through = Math.min(want.m || st.through, maxMonth(st.year));
    fillPickers();
    return load(true);
  }
  resizeChart();
  return false;
}

export function refresh() {
  return st.started ? load(false) : Promise.resolve(false);
}

export function relabel() {
  if (!st.started) return;
  fillPickers();
  const d = st.data;
  if (d.tiles) renderTiles(d.tiles);
  if (d.targets) renderTargets(d.targets);
  if (d.chart) renderChart(d.chart, true);
  if (d.latest) renderLatest(d.latest);
  if (d.inTransit) renderInTransit(d.inTransit);
}

// load fetches every part for the chosen period; force renders even when
// the server answered 304. It answers whether anything changed.
async function load(force) {
  const gen = ++st.gen;
  const { year, through } = st;
  const parts = await Promise.allSettled([
    loadTiles(gen, year, through, force),
    loadTargets(gen, year, through, force),
    loadChart(gen, year, through, force),
    loadLatest(gen, year, through, force),
    loadInTransit(gen, force),
  ]);
  return parts.some((p) => p.status === "fulfilled" && p.value);
}

const current = (gen) => gen === st.gen;

async function loadTiles(gen, year, through, force) {
  const ym = `${year}-${pad(through)}`;
  try {
    const [rail, all] = await Promise.all([
      api.get(`/api/v1/totals/yearly?year=${year}&through=${ym}&mode=rail&by=corridor`),
      api.get(`/api/v1/totals/yearly?year=${year}&through=${ym}`),
    ]);
    if (!current(gen)) return false;
    showError($("#tiles-error"), null);
    const fresh = rail.fresh || all.fresh;
    if (fresh || force) {
      st.data.tiles = { rail: rail.data, all: all.data, year, through };
      renderTiles(st.data.tiles);
    }
    return fresh;
  } catch (err) {
    if (current(gen)) showError($("#tiles-error"), err);
    throw err;
  }
}

function renderTiles({ rail, all, year, through }) {
  const figures = {
    runs: [rail.runs, rail.same_period_last_year.runs, rail.yoy_pct.runs],
    containers: [rail.containers, rail.same_period_last_year.containers, rail.yoy_pct.containers],
    teu: [rail.teu, rail.same_period_last_year.teu, rail.yoy_pct.teu],
    sea_rail_teu: [all.sea_rail_teu, all.same_period_last_year.sea_rail_teu, all.yoy_pct.sea_rail_teu],
  };
  const ym = `${year}-${pad(through)}`;
  for (const [k, [v, last, yoy]] of Object.entries(figures)) {
    const fmt = k === "teu" || k === "sea_rail_teu" ? teu : num;
    const tile = $("#tile-" + k);
    tile.dataset.value = v === null ? "" : String(v);
    tile.dataset.yoy = yoy === null ? "" : String(yoy);
    tile.dataset.period = ym;
    $(".n", tile).textContent = fmt(v);
    const y = $(".yoy", tile);
    y.replaceChildren(
      h("span", { class: "arrow", "aria-hidden": "true", text: yoy > 0 ? "▲ " : yoy < 0 ? "▼ " : "" }),
      h("span", { class: "yoy-text", text: yoy === null ? t("yoy.none") : t("yoy", { pct: pct(yoy, true) }) }),
    );
    y.className = "yoy" + (yoy > 0 ? " up" : yoy < 0 ? " down" : "");
    $(".last", tile).textContent = t("tile.lastYear", { n: fmt(last) });
  }
  // The releases' other figures: 到发, the corridors' trains, 综合重箱率.
  const bases = [t("ov.ad", { n: num(rail.arrivals_departures) })];
  if (rail.by_corridor && rail.by_corridor.some((c) => c.runs > 0)) {
    bases.push(t("ov.corridors", { w: num(rail.by_corridor[0].runs), c: num(rail.by_corridor[1].runs), e: num(rail.by_corridor[2].runs) }));
  }
  if (rail.laden_ratio_pct !== null) bases.push(t("ov.laden", { pct: pct(rail.laden_ratio_pct) }));
  $("#tiles-bases").textContent = bases.join(t("ov.sep"));
  $("#period-caption").textContent = t("ov.period", { period: period(year, through), last: year - 1 });
  $("#tiles").dataset.period = ym;
  const root = document.documentElement;
  if (!root.dataset.tilesMs) root.dataset.tilesMs = performance.now().toFixed(0);
}

async function loadTargets(gen, year, through, force) {
  const asOf = lastDay(year, through);
  const list = await api.get(`/api/v1/targets?year=${year}`);
  const progs = await Promise.all(list.data.items.map((tg) => api.get(`/api/v1/targets/${tg.id}/progress?as_of=${asOf}`)));
  // Names of the routes that reached a target (reached_by.route).
  const codes = new Set(progs.map((p) => p.data.reached_by && p.data.reached_by.route).filter(Boolean));
  const routes = new Map();
  let fresh = list.fresh || progs.some((p) => p.fresh);
  await Promise.all(Array.from(codes, async (c) => {
    try {
      const r = await api.get(`/api/v1/routes/${encodeURIComponent(c)}`);
      routes.set(c, r.data);
      fresh = fresh || r.fresh;
    } catch (e) { /* the code alone will do */ }
  }));
  if (!current(gen)) return false;
  if (fresh || force) {
    st.data.targets = { year, progress: progs.map((p) => p.data), routes };
    renderTargets(st.data.targets);
  }
  return fresh;
}

function unitOf(tg) {
  return t("unit." + tg.metric);
}

// figure writes a target's figure: TEU in 万 in Chinese, counts as integers.
function figure(tg, n) {
  return tg.metric === "teu" || tg.metric === "sea_rail_teu" ? teu(n) : num(n);
}

function targetTitle(tg) {
  const value = figure(tg, tg.value);
  if (lang === "zh") {
    let scope = tg.scope.mode === "rail" ? t("scope.rail") : tg.scope.mode ? t("mode." + tg.scope.mode) : tg.scope.route ? t("scope.route", { code: tg.scope.route }) : "";
    if (tg.metric === "sea_rail_teu") scope = "";
    return `${tg.year}年目标：${scope}${t("metric." + tg.metric)} ${value} ${unitOf(tg)}`;
  }
  let what = unitOf(tg);
  if (tg.metric === "runs" && tg.scope.mode === "rail") what = "China–Europe trains";
  else if (tg.scope.mode) what += " (" + t("mode." + tg.scope.mode) + ")";
  else if (tg.scope.route) what += " on route " + tg.scope.route;
  return `${tg.year} target: ${value} ${what}`;
}

function renderTargets({ year, progress, routes }) {
  const box = $("#targets");
  if (progress.length === 0) {
    clear(box, h("p", { class: "muted", text: t("ov.targets.none", { year }) }));
    return;
  }
  clear(box, ...progress.map((p) => {
    const tg = p.target;
    const id = "target-" + tg.id;
    const width = Math.max(0, Math.min(100, p.pct));
    const fill = h("span", { class: "fill" + (p.reached ? " reached" : p.on_track ? "" : " behind") });
    fill.style.width = width + "%";
    const lines = [];
    if (p.reached) {
      let text = t("target.reached", { date: date(p.reached_on) });
      if (p.reached_by) {
        const rb = p.reached_by;
        const rn = routes.get(rb.route);
        text += " — " + t("target.reachedBy", { value: num(tg.value), number: rb.number, route: rn ? routeName(rn, lang) : rb.route, date: dateTime(rb.departed_at) });
      }
      lines.push(h("p", { class: "reached", text }));
    } else if (p.as_of === `${tg.year}-12-31`) {
      // The year is over: the result, not a projection.
      lines.push(h("p", { class: "missed", text: t("target.missed", { n: figure(tg, p.actual), short: figure(tg, p.remaining), unit: unitOf(tg) }) }));
    } else {
      lines.push(h("p", { text: t("target.projection", { n: figure(tg, p.projected_year_end), unit: unitOf(tg), method: t("target.method." + p.projection_method) }) + " · " + (p.on_track ? t("target.onTrack") : t("target.offTrack")) }));
      let reach = t("target.noReachDate");
      if (p.projected_reach_date && p.projected_reach_date > `${tg.year}-12-31`) reach = t("target.reachAfterYear", { date: date(p.projected_reach_date) });
      else if (p.projected_reach_date) reach = t("target.reachDate", { date: date(p.projected_reach_date) });
      lines.push(h("p", { class: "reach-date", text: reach }));
    }
    const title = lang === "zh" ? tg.label || targetTitle(tg) : targetTitle(tg);
    const sub = lang === "zh" ? (tg.label ? targetTitle(tg) : null) : tg.label || null;
    return h("div", { class: "target", id, dataset: { id: tg.id, actual: p.actual, value: tg.value, reached: p.reached } },
      h("h4", { id: id + "-h", text: title }),
      sub ? h("p", { class: "muted label", lang: lang === "zh" ? null : "zh-CN", text: sub }) : null,
      h("div", {
        class: "bar", role: "progressbar", "aria-labelledby": id + "-h", "aria-valuemin": 0, "aria-valuemax": 100,
        "aria-valuenow": width.toFixed(1), "aria-valuetext": pct(p.pct) + " — " + figure(tg, p.actual) + " / " + figure(tg, tg.value),
      }, fill),
      h("p", { class: "figures" },
        h("strong", { class: "actual", text: t("target.of", { actual: figure(tg, p.actual), value: figure(tg, tg.value), unit: unitOf(tg) }) }),
        " · " + t("target.pct", { pct: pct(p.pct) }) + " · " + t("target.asOf", { date: date(p.as_of) })),
      ...lines);
  }));
}

async function loadChart(gen, year, through, force) {
  const r = await api.get(`/api/v1/totals/monthly?year=${year}&mode=rail`);
  if (!current(gen)) return false;
  if (r.fresh || force) {
    st.data.chart = { monthly: r.data, year, through };
    renderChart(st.data.chart, force);
  }
  return r.fresh;
}

function chartHeight(w) {
  return w < 500 ? 220 : 280;
}

function renderChart({ monthly, year, through }) {
  const el = $("#chart");
  const xs = monthly.months.map((m, i) => i + 1);
  const thisYear = monthly.months.map((m, i) => (i < through ? m.runs : null));
  // A last year with no trains at all has no data: no line at 0.
  const lastHasData = monthly.months.some((m) => m.runs_last_year);
  const lastYear = monthly.months.map((m) => (lastHasData ? m.runs_last_year : null));
  el.setAttribute("aria-label", t("ov.chart.alt", { year, last: year - 1 }));
  el.dataset.lastYear = lastHasData ? "data" : "none";

  const cols = [{ label: t("col.month"), head: true }, { label: String(year), num: true }, { label: String(year - 1), num: true }];
  const rows = monthly.months.map((m, i) => [monthName(i + 1), num(thisYear[i]), num(lastYear[i])]);
  clear($("#chart-table"), table(t("ov.chart"), cols, rows));

  if (st.chart) {
    st.chart.destroy();
    st.chart = null;
  }
  el.replaceChildren();
  if (!window.uPlot) return; // the table above still holds the figures
  // Away from the chart the legend shows the totals of the months shown.
  const sum = (vs) => vs.slice(0, through).reduce((a, v) => a + (v || 0), 0);
  const span = period(year, through).replace(/^\d{4}年|\s\d{4}$/g, "");
  const totalThis = t("ov.chart.total", { period: span, n: num(sum(thisYear)) });
  const totalLast = lastHasData ? t("ov.chart.total", { period: span, n: num(sum(lastYear)) }) : t("ov.chart.noData");
  const width = Math.max(280, el.clientWidth || 600);
  const max = Math.max(10, ...thisYear.filter((v) => v !== null), ...lastYear.filter((v) => v !== null));
  const opts = {
    width,
    height: chartHeight(width),
    scales: { x: { time: false, range: [0.4, 12.6] }, y: { range: [0, Math.ceil(max * 1.1)] } },
    axes: [
      { splits: () => xs, values: (u, vals) => vals.map((v) => (v >= 1 && v <= 12 ? (u.width < 560 ? String(v) : monthName(v, "short")) : "")), grid: { show: false }, size: 36 },
      { values: (u, vals) => vals.map((v) => num(v)), size: 48 },
    ],
    legend: { show: true, live: true },
    cursor: { points: { show: true }, drag: { x: false, y: false } },
    series: [
      { label: t("col.month"), value: (u, v) => (v ? monthName(v) : "—") },
      {
        label: t("ov.chart.this", { year }), fill: "rgba(200, 16, 46, 0.78)", stroke: "#a50d26", width: 1,
        paths: window.uPlot.paths.bars({ size: [0.55, 48] }), points: { show: false },
        value: (u, v, si, idx) => (idx === null || idx === undefined ? totalThis : num(v)),
      },
      {
        label: t("ov.chart.last", { year: year - 1 }), stroke: "#1f4e79", width: 2, dash: [6, 4],
        points: { show: true, size: 6, fill: "#1f4e79" },
        value: (u, v, si, idx) => (idx === null || idx === undefined ? totalLast : lastHasData ? num(v) : t("ov.chart.noData")),
      },
    ],
  };
  st.chart = new window.uPlot(opts, [xs, thisYear, lastYear], el);
  el.dataset.year = year;
}

function resizeChart() {
  if (!st.chart) return;
  const w = $("#chart").clientWidth;
  if (w > 0 && Math.abs(w - st.chart.width) > 2) st.chart.setSize({ width: Math.max(280, w), height: chartHeight(w) });
}

// The latest departures of the chosen period: the newest counted trains
// that departed up to its last day.
async function loadLatest(gen, year, through, force) {
  const upTo = lastDay(year, through);
  const r = await api.get(`/api/v1/runs?limit=10&counted=true&mode=rail&to=${upTo}`);
  if (!current(gen)) return false;
  if (r.fresh || force) {
    st.data.latest = { runs: r.data.items, upTo };
    renderLatest(st.data.latest);
  }
  return r.fresh;
}

function renderLatest({ runs, upTo }) {
  const box = $("#latest");
  box.dataset.upTo = upTo;
  if (runs.length === 0) {
    clear(box, h("p", { class: "muted empty", text: t("ov.latest.none", { date: date(upTo) }) }));
    return;
  }
  clear(box, h("p", { class: "muted caption-small", text: t("ov.latestUpTo", { date: date(upTo) }) }), runTable(t("ov.latest"), runs, null, lang));
}

// The trains on their way now, oldest departure first, with where they are
// and when they will arrive (whatever the period chosen above).
async function loadInTransit(gen, force) {
  const r = await api.get("/api/v1/runs/in-transit?limit=10");
  if (!current(gen)) return false;
  if (r.fresh || force || !st.data.inTransit) {
    st.data.inTransit = r.data.items;
    renderInTransit(st.data.inTransit);
  }
  return r.fresh;
}

function renderInTransit(runs) {
  const box = $("#in-transit");
  box.dataset.count = String(runs.length);
  if (runs.length === 0) {
    clear(box, h("p", { class: "muted empty", text: t("ov.transit.none") }));
    return;
  }
  const cols = [{ label: t("col.departed") }, { label: t("col.route") }, { label: t("col.number") }, { label: t("col.direction") },
    { label: t("col.position") }, { label: t("col.eta") }];
  const rows = runs.map((r) => {
    const p = r.position || {};
    const where = p.last_stop ? t(p.next_stop ? "run.between" : "run.at", { last: place(p.last_stop.name), next: p.next_stop ? place(p.next_stop.name) : "" }) : "—";
    return [
      { text: dateTime(r.departed_at) },
      { node: h("span", { class: "code", text: r.route }) },
      { node: h("a", { href: "#/run/" + r.id, class: "mono run-link", text: r.number }) },
      { text: t("dir." + r.direction) },
      { text: where, class: "position" },
      { text: r.eta ? `${dateTime(r.eta)} · ${t("run.etaBasis." + r.eta_basis)}` : "—" },
    ];
  });
  clear(box, table(t("ov.transit.label"), cols, rows, (i) => ({ dataset: { id: runs[i].id } })));
}
