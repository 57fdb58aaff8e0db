// Building elements. Text always goes in as textContent, never as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") el.textContent = v;
    else if (k === "class") el.setAttribute("class", v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export const $ = (sel, root) => (root || document).querySelector(sel);

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// table builds a table with a caption-less header row and body rows; cells
// are strings or { text, class }.
export function table(label, cols, rows, rowAttrs) {
  const thead = h("thead", null, h("tr", null, cols.map((c) => h("th", { scope: "col", class: c.num ? "num" : null, text: c.label }))));
  const tbody = h("tbody");
  rows.forEach((r, i) => {
    const tr = h("tr", rowAttrs ? rowAttrs(i) : null);
    r.forEach((cell, j) => {
      const tag = j === 0 && cols[0].head ? "th" : "td";
      const c = typeof cell === "object" && cell !== null ? cell : { text: cell };
      tr.appendChild(h(tag, { scope: tag === "th" ? "row" : null, class: [cols[j].num ? "num" : "", c.class || ""].join(" ").trim() || null, lang: c.lang, title: c.title }, c.node || String(c.text)));
    });
    tbody.appendChild(tr);
  });
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": label }, h("table", null, thead, tbody));
}
