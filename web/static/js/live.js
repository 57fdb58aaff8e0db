// Live updates: GET /api/v1/stream read as Server-Sent Events. fetch reads
// it (not EventSource, which cannot send the Authorization header a server
// with private reads asks for), and the lines are parsed here.
//
// listen(handlers) keeps one stream open and tells
//   handlers.event(type, data)  an event (its type, the envelope's data);
//                               "reset" when the server no longer keeps the
//                               events since the last one heard, and also
//                               when a stream opens without a last id (what
//                               committed before it opened was not heard)
//   handlers.state(s)           "connecting", "live" (the stream sends) or
//                               "fallback" (no stream: the page polls)
//
// A stream that opens and sends is live; the server sends `retry:` at once
// and a heartbeat every 15 s, so a stream silent for SILENCE_MS (a proxy
// that buffers) is given up. An answer other than 200 (503 above the
// server's --max-streams, 404 from a server without the stream), a silent
// stream or FAILS failures in a row fall back to polling, and the stream
// is tried again after FALLBACK_RETRY_MS. A stream that ends after it was
// live is opened again after the server's retry delay, doubled on each
// failure in a row, with the last id heard as Last-Event-ID.
import { token } from "./api.js";

const URL = "/api/v1/stream";
const SILENCE_MS = 20000;
const FAILS = 3;
const FALLBACK_RETRY_MS = 3 * 60 * 1000;
const MAX_BACKOFF_MS = 60 * 1000;

export function listen(handlers) {
  let lastId = "";
  let retryMs = 3000;
  let fails = 0; // attempts in a row that did not get live
  let state = "";

  const setState = (s) => {
    if (s === state) return;
    state = s;
    handlers.state(s);
  };

  const later = (ms) => setTimeout(open, ms);

  // failed: the stream could not be opened or ended; fallback says the
  // stream cannot work through here for now.
  function failed(fallback, retryAfterS) {
    fails++;
    if (fallback || fails >= FAILS || state === "fallback") {
      setState("fallback");
      later(Math.max(FALLBACK_RETRY_MS, (retryAfterS || 0) * 1000));
      return;
    }
    setState("connecting");
    later(Math.min(retryMs * 2 ** (fails - 1), MAX_BACKOFF_MS));
  }

  async function open() {
    if (state !== "fallback") setState("connecting");
    const ctl = new AbortController();
    let silent = false;
    let timer = 0;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        ctl.abort();
      }, SILENCE_MS);
    };
    watch();
    const h = { Accept: "text/event-stream" };
    const tok = token();
    if (tok) h.Authorization = "Bearer " + tok;
    if (lastId) h["Last-Event-ID"] = lastId;
    let heard = false; // a byte came
    try {
      const res = await fetch(URL, { cache: "no-store", headers: h, signal: ctl.signal });
      if (!res.ok || !res.body) {
        clearTimeout(timer);
        ctl.abort();
        const ra = Number(res.headers.get("Retry-After"));
        failed(true, Number.isFinite(ra) ? ra : 0);
        return;
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = sse(dispatch);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        watch();
        if (!heard) {
          heard = true;
          fails = 0;
          setState("live");
          if (!lastId) handlers.event("reset", null);
        }
        parser(value);
      }
    } catch (err) {
      // A network failure, or the silence watch aborted the read.
    }
    clearTimeout(timer);
    if (!heard) failed(silent);
    else failed(false);
  }

  // dispatch takes one parsed event.
  function dispatch(ev) {
    if (ev.retry !== undefined) retryMs = ev.retry;
    if (ev.data === undefined) return; // a comment, retry alone, or nothing
    if (ev.id !== undefined) lastId = ev.id;
    const type = ev.event || "message";
    let data = null;
    try {
      const env = JSON.parse(ev.data);
      data = type === "reset" ? env : env.data;
    } catch (e) { /* not JSON: the type alone still says what changed */ }
    if (type === "reset" && data && data.last_event_id !== undefined) lastId = String(data.last_event_id);
    handlers.event(type, data);
  }

  open();
}

// sse answers a function that takes the stream's text as it arrives, in
// chunks of any size, and calls emit with each event: { id, event, data,
// retry } as the fields of its lines said (WHATWG HTML 9.2.6; lines end in LF or CRLF). Comments
// (": heartbeat") are skipped.
function sse(emit) {
  let rest = "";
  let ev = {};
  const line = (l) => {
    if (l === "") {
      if (ev.data !== undefined && ev.data.endsWith("\n")) ev.data = ev.data.slice(0, -1);
      if (Object.keys(ev).length) emit(ev);
      ev = {};
      return;
    }
    if (l.startsWith(":")) return;
    const i = l.indexOf(":");
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? "" : l.slice(i + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") ev.data = (ev.data || "") + value + "\n";
    else if (field === "event") ev.event = value;
    else if (field === "id" && !value.includes("\0")) ev.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) ev.retry = Number(value);
  };
  return (chunk) => {
    rest += chunk;
    const lines = rest.split("\n");
    rest = lines.pop();
    for (const l of lines) line(l.endsWith("\r") ? l.slice(0, -1) : l);
  };
}
