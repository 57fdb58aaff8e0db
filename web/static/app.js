"use strict";
// Fills the page from the public read API. Text goes in with textContent only.
async function getJSON(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(path + ": " + res.status);
  return res.json();
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
}

async function load() {
  try {
    const net = await getJSON("/api/v1/network");
    const parts = Object.entries(net.routes).filter(([, n]) => n > 0).map(([m, n]) => n + " " + m.replace("_", "-"));
    document.getElementById("network").textContent =
      "Active routes: " + (parts.join(", ") || "none") + ". Destinations: " + net.destinations + " in " + net.countries + " countries.";
    const runs = await getJSON("/api/v1/runs?limit=20");
    const body = document.getElementById("runs");
    body.replaceChildren();
    for (const r of runs.items) {
      const tr = document.createElement("tr");
      cell(tr, r.departed_at.replace("T", " ").slice(0, 16));
      cell(tr, r.route);
      cell(tr, r.number);
      cell(tr, r.direction);
      cell(tr, r.status);
      cell(tr, String(r.teu), "num");
      body.appendChild(tr);
    }
  } catch (e) {
    document.getElementById("network").textContent = "Could not load: " + e.message;
  }
}
load();
