// Importing runs from a CSV file (POST /api/v1/runs/import): the file is
// read in the page, checked with ?dry_run=true (nothing written), and sent
// for real only when the operator confirms the count the check found. Both
// requests carry an Idempotency-Key (api.postCSV): a retry of the same
// content reuses its key, so a lost answer cannot import a file twice.
import * as api from "./api.js";
import { t, lang, num, problemText, fieldText, fieldName } from "./i18n.js";
import { h, $ } from "./dom.js";
import { detailNode } from "./common.js";

const URL_IMPORT = "/api/v1/runs/import";

// Reading a file the server will refuse anyway (its import limit is
// 64 MiB unless configured otherwise) is not worth the memory beyond this.
const MAX_READ = 64 << 20;

let hooks = { useToken: () => false, forgetToken: () => {}, reload: () => Promise.resolve() };

const st = {
  busy: false,
  text: "", // the CSV checked, sent as is when confirmed
  file: "", // its name
  shown: null, // what is shown, to say again after a language switch
};

// init wires the panel. useToken() takes a typed token and answers whether
// one is kept; forgetToken() forgets a refused one; reload() reloads the log.
export function init(opts) {
  hooks = Object.assign(hooks, opts);
  $("#imp-form").addEventListener("submit", (e) => {
    e.preventDefault();
    check();
  });
  $("#imp-file").addEventListener("change", () => {
    if ($("#imp-file").files.length) check();
    else reset();
  });
  $("#imp-confirm").addEventListener("click", confirm);
}

export function relabel() {
  if (st.shown) render(st.shown);
}

function reset() {
  st.text = "";
  st.file = "";
  render(null);
}

// readFile answers the file's text: UTF-8, or else GB18030 (what Chinese
// Excel saves as "CSV"; GBK is part of it), refusing bytes that are neither
// (a lenient decoder would turn them into U+FFFD and import garbled names).
// The text is sent as UTF-8 either way.
async function readFile(file) {
  if (file.size > MAX_READ) return { error: { key: "imp.413" } };
  let buf;
  try {
    buf = await file.arrayBuffer();
  } catch (e) {
    return { error: { key: "imp.unreadable" } };
  }
  for (const charset of ["utf-8", "gb18030"]) {
    try {
      return { text: new TextDecoder(charset, { fatal: true }).decode(buf) }; // drops a byte order mark
    } catch (e) {
      // not this charset
    }
  }
  return { error: { key: "imp.notUtf8" } };
}

async function check() {
  if (st.busy) return;
  const file = $("#imp-file").files[0];
  st.text = "";
  if (!file) {
    render({ kind: "local", key: "imp.noFile" });
    $("#imp-file").focus();
    return;
  }
  if (!hooks.useToken()) {
    render({ kind: "local", key: "imp.needToken" });
    return;
  }
  st.file = file.name;
  busy(true, "#imp-check", "imp.checking");
  render({ kind: "progress", key: "imp.checking" });
  try {
    const r = await readFile(file);
    if (r.error) {
      render(Object.assign({ kind: "local" }, r.error));
      return;
    }
    const res = await api.postCSV(URL_IMPORT + "?dry_run=true", r.text);
    st.text = r.text;
    render({ kind: "checked", created: res.created, skipped: res.skipped });
  } catch (err) {
    failed(err, null);
  } finally {
    busy(false);
  }
}

async function confirm() {
  if (st.busy || !st.text) return;
  const planned = st.shown && st.shown.created;
  if (!hooks.useToken()) {
    render({ kind: "local", key: "imp.needToken" });
    return;
  }
  busy(true, "#imp-confirm", "imp.importing");
  let done = false;
  try {
    const res = await api.postCSV(URL_IMPORT, st.text);
    done = true;
    st.text = "";
    $("#imp-file").value = "";
    render({ kind: "done", created: res.created, skipped: res.skipped });
  } catch (err) {
    failed(err, planned);
  } finally {
    busy(false);
  }
  if (done) {
    // The confirm button is gone: the result takes the focus.
    $("#imp-status").focus();
    await hooks.reload();
  }
}

// busy disables both buttons while a request runs; the one pressed says so.
function busy(on, sel, key) {
  st.busy = on;
  $("#imp-check").disabled = on;
  $("#imp-confirm").disabled = on;
  if (on) $(sel).textContent = t(key);
  else {
    $("#imp-check").textContent = t("imp.check");
    if (st.shown) confirmLabel(st.shown.created);
  }
}

function confirmLabel(n) {
  if (n) $("#imp-confirm").textContent = n === 1 ? t("imp.confirm1") : t("imp.confirm", { n: num(n) });
}

// failed shows a refused request in words; a 422 about lines lists every
// problem. planned is the count of a confirmed import that got no answer.
function failed(err, planned) {
  if (!(err instanceof api.ApiError)) {
    // No answer: the same content can be sent again, with the same key.
    render({ kind: "network", created: st.text ? planned : 0 });
    return;
  }
  // Too many requests, or the server failed (nothing written, the answer
  // is not kept for the key): the checked import may simply be sent again.
  const again = planned && (err.status === 429 || err.status >= 500);
  if (!again) st.text = "";
  const p = err.problem || {};
  if (err.status === 401) hooks.forgetToken();
  const errors = (p.errors || []).map((e) => ({ field: e.field || "", code: e.code, params: e.params || {}, message: e.message || "" }));
  if (err.status === 422 && errors.length && errors.every((e) => /^line \d+/.test(e.field))) {
    render({ kind: "problems", errors });
    return;
  }
  render({ kind: "refused", err, status: err.status, detail: p.detail || "", errors, created: again ? planned : 0 });
}

// where names a problem's place: "line 3: teu" → "Line 3 · teu" / "第3行 ·
// 标箱数"; "header: 线路" → "Header · 线路".
function where(field) {
  const h = /^header: (.*)$/.exec(field);
  if (h) return t("imp.header") + " · " + fieldName(h[1]);
  const m = /^line (\d+)(?::\s*(.*))?$/.exec(field);
  if (!m) return fieldName(field);
  return t("imp.line", { line: num(Number(m[1])) }) + (m[2] ? " · " + fieldName(m[2]) : "");
}

function render(s) {
  st.shown = s;
  const status = $("#imp-status");
  const probs = $("#imp-problems");
  const list = $("#imp-list");
  const btn = $("#imp-confirm");
  btn.hidden = true;
  probs.hidden = true;
  list.replaceChildren();
  if (!s) {
    status.hidden = true;
    status.replaceChildren();
    return;
  }
  let cls = "error";
  let nodes;
  switch (s.kind) {
    case "local":
      nodes = [t(s.key)];
      break;
    case "progress":
      cls = "muted";
      nodes = [t(s.key)];
      break;
    case "checked":
      cls = s.created > 0 ? "plan" : "ok";
      nodes = [h("strong", { text: t("imp.checkHeading", { file: st.file }) }), lang === "zh" ? "" : " ",
        t(s.created > 0 ? "imp.plan" : "imp.nothing", { created: num(s.created), skipped: num(s.skipped) })];
      if (s.created > 0 && st.text) {
        confirmLabel(s.created);
        btn.hidden = false;
      }
      break;
    case "done":
      cls = "ok";
      nodes = [t("imp.done", { created: num(s.created), skipped: num(s.skipped) })];
      break;
    case "problems":
      nodes = [s.errors.length === 1 ? t("imp.problems1") : t("imp.problems", { n: num(s.errors.length) })];
      $("#imp-problems-h").textContent = t("imp.problemsHeading", { file: st.file });
      // Each problem under its line and column, said from its code.
      list.replaceChildren(...s.errors.map((e) => h("li", null,
        h("span", { class: "where", text: where(e.field) }), " ",
        h("span", { class: "what", text: fieldText(e) }))));
      probs.hidden = false;
      break;
    case "network":
      nodes = [t("imp.network")];
      if (s.created && st.text) {
        confirmLabel(s.created); // to send the import again
        btn.hidden = false;
      }
      break;
    default: // refused
      nodes = refusal(s);
      if (s.created && st.text) {
        confirmLabel(s.created);
        btn.hidden = false;
      }
  }
  status.className = cls;
  status.replaceChildren(...nodes.filter(Boolean));
  status.hidden = false;
  status.tabIndex = -1;
}

function refusal(s) {
  const detail = problemText(s.err);
  let lead;
  switch (s.status) {
    case 400: // the header's problems, listed below in the page's language; else the server's words
      lead = s.errors.length ? t("imp.400list") : t("imp.400", { detail: s.detail });
      break;
    case 401: case 403: case 413: case 415: case 429: lead = t("imp." + s.status); break;
    case 422: lead = t("imp.422", { detail }); break;
    default: lead = t("imp.failed", { status: s.status, detail });
  }
  const nodes = [h("span", { text: lead })];
  if (s.errors.length) {
    nodes.push(h("ul", null, ...s.errors.map((e) => h("li", null,
      e.field ? h("span", { class: "where", text: where(e.field) }) : null, e.field ? " " : null,
      h("span", { text: fieldText(e) })))));
  }
  if (s.status !== 400) nodes.push(detailNode(s.err, [401, 403, 413, 415, 429].includes(s.status)));
  return nodes;
}
