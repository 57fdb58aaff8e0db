// Talking to the API. Every GET is conditional: the ETag of each URL's last
// answer is kept and sent back as If-None-Match; a 304 keeps the data already
// held. cache: "no-store" keeps the browser's HTTP cache out of the way, so
// the 304 really reaches this code instead of being turned into a cached 200.

const held = new Map(); // url -> { etag, data }

export const counters = { requests: 0, notModified: 0 };

const TOKEN_KEY = "banlie.token";

export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch (e) {
    return "";
  }
}

export function setToken(v) {
  try {
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) { /* storage may be off */ }
}

// ApiError carries the answer's status, its problem+json body, if any, and
// its Retry-After (seconds, or "").
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && problem.detail) || "HTTP " + status);
    this.status = status;
    this.problem = problem || { status, detail: "HTTP " + status, errors: [] };
    this.retryAfter = retryAfter || "";
  }
}

async function failure(res) {
  let p = null;
  try {
    p = await res.json();
  } catch (e) { /* not JSON */ }
  return new ApiError(res.status, p, res.headers.get("Retry-After"));
}

function headers(extra) {
  const h = Object.assign({ Accept: "application/json" }, extra);
  const tok = token();
  if (tok) h.Authorization = "Bearer " + tok; // reads need it when the server has private reads
  return h;
}

// get answers { data, fresh }: fresh is false when the server said 304 and
// the data is the one held from before. Callers asking for a URL that is
// already being fetched share that request.
const inflight = new Map();

export function get(url) {
  if (!inflight.has(url)) {
    const p = fetchConditional(url);
    inflight.set(url, p);
    const done = () => inflight.delete(url);
    p.then(done, done);
  }
  return inflight.get(url);
}

// getWithToken is get for resources that always need a token (the admin
// view's): a refused token is forgotten and the refusal thrown, with no
// retry without it and no sign-in form.
export function getWithToken(url) {
  const key = "token\n" + url;
  if (!inflight.has(key)) {
    const p = fetchConditional(url, true);
    inflight.set(key, p);
    const done = () => inflight.delete(key);
    p.then(done, done);
  }
  return inflight.get(key);
}

async function fetchConditional(url, needsToken) {
  const prev = held.get(url);
  const h = headers();
  if (prev && prev.etag) h["If-None-Match"] = prev.etag;
  counters.requests++;
  const res = await fetch(url, { cache: "no-store", headers: h });
  if (res.status === 304 && prev) {
    counters.notModified++;
    return { data: prev.data, fresh: false };
  }
  if (res.status === 401 && needsToken) {
    setToken("");
    throw await failure(res);
  }
  if (res.status === 401 && token()) {
    // The kept token was refused (revoked, or typed wrong): forget it and
    // read without one, which works when reads are public.
    setToken("");
    return fetchConditional(url);
  }
  if (res.status === 401) {
    // Reads are private on this server: ask for a token.
    window.dispatchEvent(new CustomEvent("banlie:unauthorized", { detail: { hadToken: false } }));
  }
  if (!res.ok) throw await failure(res);
  const data = await res.json();
  held.set(url, { etag: res.headers.get("ETag"), data });
  return { data, fresh: true };
}

// getAll follows next_cursor and answers every item of a list.
export async function getAll(url) {
  const items = [];
  let fresh = false;
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const sep = url.includes("?") ? "&" : "?";
    const r = await get(cursor ? url + sep + "cursor=" + encodeURIComponent(cursor) : url);
    fresh = fresh || r.fresh;
    items.push(...r.data.items);
    cursor = r.data.next_cursor;
    if (!cursor) break;
  }
  return { data: items, fresh };
}

function randomKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// A POST that got no answer (network failure) is retried with the same
// Idempotency-Key, so that it is not written twice; any answer ends the key.
// Keys are kept per URL and body: the same request sent again reuses its
// key, any other request (another body, or the same body to another URL,
// such as an import's dry run and the import itself) gets its own.
const pending = new Map(); // url + "\n" + body -> key

async function sendPost(url, body, contentType) {
  const id = url + "\n" + body;
  if (!pending.has(id)) pending.set(id, randomKey());
  const key = pending.get(id);
  const res = await fetch(url, {
    method: "POST",
    cache: "no-store",
    headers: headers({ "Content-Type": contentType, "Idempotency-Key": key }),
    body,
  });
  pending.delete(id);
  if (!res.ok) throw await failure(res);
  return res.json();
}

export function post(url, body) {
  return sendPost(url, JSON.stringify(body), "application/json");
}

// postCSV sends CSV text (sent as UTF-8) and answers the JSON answer.
export function postCSV(url, text) {
  return sendPost(url, text, "text/csv; charset=utf-8");
}

// download fetches a file with the kept token and answers it as a Blob with
// the file name the server gave (Content-Disposition), or fallback. A kept
// token that is refused is forgotten and the file fetched without one, as
// GETs do.
export async function download(url, fallback) {
  const h = headers({ Accept: "text/csv, application/problem+json" });
  let res = await fetch(url, { cache: "no-store", headers: h });
  if (res.status === 401 && h.Authorization) {
    setToken("");
    res = await fetch(url, { cache: "no-store", headers: { Accept: h.Accept } });
  }
  if (!res.ok) throw await failure(res);
  const cd = res.headers.get("Content-Disposition") || "";
  const m = /filename="?([^";]+)"?/i.exec(cd);
  return { blob: await res.blob(), name: m ? m[1] : fallback };
}

// patch sends a partial update and answers the changed resource.
export async function patch(url, body) {
  const res = await fetch(url, {
    method: "PATCH",
    cache: "no-store",
    headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return res.json();
}

// del deletes a resource (204).
export async function del(url) {
  const res = await fetch(url, { method: "DELETE", cache: "no-store", headers: headers() });
  if (!res.ok) throw await failure(res);
}
