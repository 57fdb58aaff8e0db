package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Stream defaults (Config.MaxStreams, StreamHeartbeat, StreamPoll).
const (
	DefaultMaxStreams      = 1000
	DefaultStreamHeartbeat = 15 * time.Second
	// DefaultStreamPoll is how often a stream looks for events another
	// instance committed (those of its own process wake it at once).
	DefaultStreamPoll = time.Second
	// streamBatch bounds the events one read sends.
	streamBatch = 200
	// streamRetryMS is the reconnection delay the stream asks clients for.
	streamRetryMS = 3000
)

// streamHandlers serve GET /api/v1/stream: the outbox's events as
// Server-Sent Events, as they commit.
type streamHandlers struct {
	st        *store.Store
	log       *slog.Logger
	max       int64
	heartbeat time.Duration
	poll      time.Duration
	stopping  <-chan struct{}
	open      atomic.Int64
	gauge     prometheus.Gauge

	// One watcher per server, while any stream is open, looks for events
	// other instances committed and wakes the streams: a stream itself
	// only waits.
	wmu      sync.Mutex
	watchers int
	wstop    chan struct{}
}

// watching starts the watcher for the first open stream; the function it
// answers stops it with the last.
func (h *streamHandlers) watching() (done func()) {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if h.watchers++; h.watchers == 1 {
		h.wstop = make(chan struct{})
		go h.watch(h.wstop)
	}
	return func() {
		h.wmu.Lock()
		defer h.wmu.Unlock()
		if h.watchers--; h.watchers == 0 {
			close(h.wstop)
		}
	}
}

// watch asks the database for the newest event every poll and wakes the
// streams when it grew (a commit of this process wakes them at once).
func (h *streamHandlers) watch(stop <-chan struct{}) {
	tick := time.NewTicker(h.poll)
	defer tick.Stop()
	seen := int64(-1)
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		newest, _, err := h.st.OutboxBounds(context.Background())
		if err != nil {
			continue // the streams read on at the next commit or poll
		}
		// The first look wakes them too: what committed between a stream's
		// first read and this look is then read at once.
		if newest != seen {
			h.st.Announce()
		}
		seen = newest
	}
}

// stream sends every event committed after the one the client last saw
// (Last-Event-ID) or, without it, after the moment it connects; a client
// that missed events no longer kept gets `event: reset` (reload, then
// listen again). A comment every heartbeat keeps proxies from closing an
// idle stream. Above MaxStreams open streams it answers 503.
func (h *streamHandlers) stream(c echo.Context) error {
	req, res := c.Request(), c.Response()
	var last int64 = -1
	if v := req.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return models.BadField("Last-Event-ID", models.CodeInvalidFormat, models.Params{"format": "integer"},
				"the Last-Event-ID header must be the id of an event this stream sent")
		}
		last = n
	}
	if n := h.open.Add(1); n > h.max {
		h.open.Add(-1)
		res.Header().Set(echo.HeaderRetryAfter, "10")
		return &models.Error{Code: models.EBUSY, Message: fmt.Sprintf("%d streams are open, the most this server keeps; retry later, or poll", h.max)}
	}
	defer h.open.Add(-1)
	defer h.watching()()
	if h.gauge != nil {
		h.gauge.Inc()
		defer h.gauge.Dec()
	}

	ctx := req.Context()
	newest, purged, err := h.st.OutboxBounds(ctx)
	if err != nil {
		return err
	}
	reset := last >= 0 && (last < purged || last > newest)
	if last < 0 || reset {
		last = newest
	}
	hdr := res.Header()
	hdr.Set(echo.HeaderContentType, "text/event-stream")
	hdr.Set(echo.HeaderCacheControl, "no-cache")
	hdr.Set("X-Accel-Buffering", "no") // proxies such as nginx: do not buffer
	res.WriteHeader(http.StatusOK)
	if _, head := res.Writer.(*headWriter); head {
		// HEAD (headAsGet made it a GET): the headers, and no stream.
		return nil
	}
	rc := http.NewResponseController(res.Writer)
	var buf bytes.Buffer
	send := func() error {
		// Each write may take until the next heartbeat and then some: a
		// stream is exempt from the server's write timeout, not from a
		// client that stopped reading.
		if err := rc.SetWriteDeadline(time.Now().Add(h.heartbeat + 30*time.Second)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if _, err := res.Write(buf.Bytes()); err != nil {
			return err
		}
		buf.Reset()
		return rc.Flush()
	}
	fmt.Fprintf(&buf, "retry: %d\n\n", streamRetryMS)
	if reset {
		fmt.Fprintf(&buf, "event: reset\ndata: {\"last_event_id\":%d}\n\n", last)
	}
	if err := send(); err != nil {
		return nil // the client is gone
	}
	beat := time.NewTicker(h.heartbeat)
	defer beat.Stop()
	for {
		wake := h.st.Committed() // before reading: a commit meanwhile wakes the next wait
		evs, err := h.st.Events(ctx, last, streamBatch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			h.log.Error("stream: reading events", "err", err)
			return nil // the client reconnects with its Last-Event-ID
		}
		for _, ev := range evs {
			data, err := ev.Envelope() // a webhook's body too
			if err != nil {
				return err
			}
			fmt.Fprintf(&buf, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, data)
			last = ev.ID
		}
		if buf.Len() > 0 {
			if err := send(); err != nil {
				return nil
			}
		}
		if len(evs) == streamBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-h.stopping:
			return nil
		case <-wake:
		case <-beat.C:
			buf.WriteString(": heartbeat\n\n")
			if err := send(); err != nil {
				return nil
			}
		}
	}
}
