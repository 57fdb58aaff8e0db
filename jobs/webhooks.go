package jobs

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"banlie/models"
	"banlie/store"
)

// Webhook delivery defaults (WebhookConfig).
const (
	DefaultWebhookTimeout = 10 * time.Second
	DefaultWebhookBackoff = 5 * time.Second
	DefaultWebhookPoll    = time.Second
	// webhookMaxBackoff caps the delay between two attempts.
	webhookMaxBackoff = time.Hour
	// webhookRetryFor is how long after its first attempt a delivery is
	// tried again; webhookMaxRetryAfter bounds a receiver's Retry-After.
	webhookRetryFor      = 24 * time.Hour
	webhookMaxRetryAfter = 24 * time.Hour
	// webhookReadLimit bounds the answer read; webhookSnippet the part kept.
	webhookReadLimit = 64 << 10
	webhookSnippet   = 1 << 10
	webhookMaxError  = 500
	webhookUserAgent = "banlie-webhooks/1 (+https://www.standardwebhooks.com)"
)

// WebhookConfig says how webhooks are delivered; zero values take the
// defaults.
type WebhookConfig struct {
	// AllowPrivate lets deliveries reach private, loopback and link-local
	// addresses (--webhook-allow-private).
	AllowPrivate bool
	// Timeout bounds one attempt, from the dial to the end of the answer.
	Timeout time.Duration
	// Backoff is the delay after a first failed attempt; each next one
	// doubles it, up to an hour, ±20 %.
	Backoff time.Duration
	// Poll is how often the deliverer looks for work that another instance
	// committed, or that fell due (commits of this process wake it at once).
	Poll time.Duration
	// Now is the deliverer's clock (time.Now when nil).
	Now func() time.Time
}

// Deliverer sends the outbox's events to the webhooks subscribed to them:
// per webhook one delivery at a time, in event order, each claimed in the
// database so that one instance sends it.
type Deliverer struct {
	st     *store.Store
	log    *slog.Logger
	cfg    WebhookConfig
	client *http.Client

	outcomes *prometheus.CounterVec
	backlog  *backlogCollector

	mu   sync.Mutex
	busy map[int64]bool
	wg   sync.WaitGroup
}

// NewDeliverer makes a deliverer; Run starts it.
func NewDeliverer(st *store.Store, log *slog.Logger, cfg WebhookConfig) *Deliverer {
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultWebhookTimeout)
	cfg.Backoff = cmp.Or(cfg.Backoff, DefaultWebhookBackoff)
	cfg.Poll = cmp.Or(cfg.Poll, DefaultWebhookPoll)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Deliverer{st: st, log: log, cfg: cfg, busy: map[int64]bool{},
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "banlie_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome: delivered (2xx), retried (to be tried again), failed (given up on).",
		}, []string{"outcome"}),
	}
	for _, o := range []string{"delivered", "retried", "failed"} {
		d.outcomes.WithLabelValues(o)
	}
	d.backlog = &backlogCollector{st: st, now: cfg.Now,
		pending: prometheus.NewDesc("banlie_webhook_deliveries_pending", "Webhook deliveries not yet delivered or given up on (NaN when the database cannot say).", nil, nil),
		oldest:  prometheus.NewDesc("banlie_webhook_oldest_pending_seconds", "Age of the oldest pending webhook delivery (0 with none; NaN when the database cannot say).", nil, nil)}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: dialControl(cfg.AllowPrivate)}
	d.client = &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			Proxy:                  nil, // a proxy would dial for us, past the address check
			DialContext:            dialer.DialContext,
			TLSHandshakeTimeout:    cfg.Timeout,
			ResponseHeaderTimeout:  cfg.Timeout,
			MaxResponseHeaderBytes: webhookReadLimit,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        90 * time.Second,
		},
		// A redirect is an answer like any other non-2xx: not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return d
}

// dialControl refuses, unless allowPrivate, to connect to an address that
// is not public: the address actually dialled, after the name resolved, so
// that a name that resolves elsewhere at delivery time is refused too.
func dialControl(allowPrivate bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil || !store.PublicAddr(ip) {
			return fmt.Errorf("refused to connect to %s: not a public address (allowed with --webhook-allow-private)", host)
		}
		return nil
	}
}

// Collectors are the deliverer's metrics.
func (d *Deliverer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{d.outcomes, d.backlog}
}

// Run delivers until ctx is cancelled, then waits for the attempts under
// way (an attempt cut short is not recorded: its lease runs out and it is
// sent again).
func (d *Deliverer) Run(ctx context.Context) {
	defer d.wg.Wait()
	passOnCommits(ctx, d.st, d.cfg.Poll, d.pass)
}

// commitGap is the least time between two looks for work that commits
// wake: under load commits come thousands a second, and each look is a
// query; an event waits at most this long more for its look.
const commitGap = 20 * time.Millisecond

// passOnCommits runs pass at once, then after each commit of this process
// (at most once every commitGap) and every poll (for the work of other
// instances and retries falling due), until ctx is cancelled.
func passOnCommits(ctx context.Context, st *store.Store, poll time.Duration, pass func(context.Context)) {
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		wake := st.Committed()
		started := time.Now()
		pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-wake:
			if wait := commitGap - time.Since(started); wait > 0 {
				gap := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					gap.Stop()
					return
				case <-gap.C:
				}
			}
		case <-tick.C:
		}
	}
}

// pass starts a worker for each webhook that may have work and has none
// running in this process.
func (d *Deliverer) pass(ctx context.Context) {
	ids, err := d.st.WebhooksToWork(ctx, d.cfg.Now())
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("webhooks: looking for work", "err", err)
		}
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		if d.busy[id] {
			continue
		}
		d.busy[id] = true
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer func() { d.mu.Lock(); delete(d.busy, id); d.mu.Unlock() }()
			d.work(ctx, id)
		}()
	}
}

// work sends webhook id's deliveries, one at a time, while one is due.
func (d *Deliverer) work(ctx context.Context, id int64) {
	for ctx.Err() == nil {
		c, err := d.st.ClaimDelivery(ctx, id, d.cfg.Now(), d.cfg.Timeout+30*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("webhooks: claiming a delivery", "webhook", id, "err", err)
			}
			return
		}
		if c == nil {
			return
		}
		r := d.attempt(ctx, c)
		if ctx.Err() != nil {
			return
		}
		disabled, err := d.st.RecordDelivery(context.WithoutCancel(ctx), c, d.cfg.Now(), r)
		if err != nil {
			d.log.Error("webhooks: recording a delivery", "webhook", id, "delivery", c.ID, "err", err)
			return
		}
		switch r.Status {
		case models.DeliveryDelivered:
			d.outcomes.WithLabelValues("delivered").Inc()
		case models.DeliveryPending:
			d.outcomes.WithLabelValues("retried").Inc()
		default:
			d.outcomes.WithLabelValues("failed").Inc()
			d.log.Warn("webhooks: delivery failed", "webhook", id, "delivery", c.ID, "event", c.EventID, "attempts", c.Attempt, "last", describe(r))
		}
		if disabled {
			d.log.Warn("webhooks: disabled after failing for 3 days", "webhook", id)
			return
		}
	}
}

// Sign is the Standard Webhooks signature of a message: "v1," and the
// base64 of the HMAC-SHA256, keyed with the secret's bytes, of
// id.timestamp.body.
func Sign(secret, id, timestamp string, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, models.WebhookSecretPrefix))
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + timestamp + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// attempt POSTs the claimed delivery once and says what comes next.
func (d *Deliverer) attempt(ctx context.Context, c *store.DeliveryClaim) store.DeliveryResult {
	now := d.cfg.Now()
	id, ts := strconv.FormatInt(c.EventID, 10), strconv.FormatInt(now.Unix(), 10)
	sig, err := Sign(c.Secret, id, ts, c.Body)
	if err != nil {
		return failed(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(c.Body))
	if err != nil {
		return failed(err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", webhookUserAgent)
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", sig)
	start := time.Now()
	res, err := d.client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(res.Body, webhookReadLimit))
		res.Body.Close()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
			err = nil // the status counts; the rest of the answer is not needed
		}
	}
	r := store.DeliveryResult{Latency: time.Since(start)}
	if err != nil {
		msg := bound(err.Error(), webhookMaxError)
		r.Err = &msg
		if res != nil {
			code := res.StatusCode
			r.StatusCode = &code
		}
		return d.retry(r, c, now, 0)
	}
	code := res.StatusCode
	r.StatusCode = &code
	if len(body) > 0 {
		s := bound(string(body), webhookSnippet)
		r.Response = &s
	}
	switch {
	case code >= 200 && code < 300:
		r.Status = models.DeliveryDelivered
		return r
	case code == http.StatusTooManyRequests || code >= 500:
		return d.retry(r, c, now, retryAfter(res.Header.Get("Retry-After"), now))
	}
	r.Status = models.DeliveryFailed
	return r
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retry schedules the next attempt (after wait when the receiver asked
// for one, else the backoff), or gives up 24 hours after the first.
func (d *Deliverer) retry(r store.DeliveryResult, c *store.DeliveryClaim, now time.Time, wait time.Duration) store.DeliveryResult {
	deadline := c.FirstAttemptAt.Add(webhookRetryFor)
	if !now.Before(deadline) {
		r.Status = models.DeliveryFailed
		return r
	}
	if wait <= 0 {
		wait = backoff(d.cfg.Backoff, c.Attempt)
	}
	r.Status, r.Next = models.DeliveryPending, now.Add(wait)
	if r.Next.After(deadline) {
		r.Next = deadline // one last attempt at the deadline
	}
	return r
}

// backoff is the delay after attempt n (from 1): base doubled n-1 times,
// at most an hour, ±20 %.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < webhookMaxBackoff; i++ {
		d *= 2
	}
	d = min(d, webhookMaxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// retryAfter reads a Retry-After header, seconds or an HTTP date, bounded
// to 24 hours; 0 when there is none or it cannot be read.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		d = time.Duration(min(n, int64(webhookMaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0
	}
	return max(0, min(d, webhookMaxRetryAfter))
}

func failed(err error) store.DeliveryResult {
	msg := bound(err.Error(), webhookMaxError)
	return store.DeliveryResult{Status: models.DeliveryFailed, Err: &msg}
}

// bound cuts s to at most n bytes of valid UTF-8, without NULs (which
// PostgreSQL's text refuses).
func bound(s string, n int) string {
	if len(s) > n {
		s = s[:n]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func describe(r store.DeliveryResult) string {
	switch {
	case r.Err != nil:
		return *r.Err
	case r.StatusCode != nil:
		return "status " + strconv.Itoa(*r.StatusCode)
	}
	return ""
}

// backlogCollector reads the pending deliveries at each scrape.
type backlogCollector struct {
	st              *store.Store
	now             func() time.Time
	pending, oldest *prometheus.Desc
}

func (b *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- b.pending; ch <- b.oldest }

func (b *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, oldest, err := b.st.DeliveryBacklog(ctx)
	pending, age := float64(n), 0.0
	switch {
	case err != nil:
		pending, age = nan(), nan()
	case !oldest.IsZero():
		age = max(0, b.now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(b.pending, prometheus.GaugeValue, pending)
	ch <- prometheus.MustNewConstMetric(b.oldest, prometheus.GaugeValue, age)
}
func nan() float64 { return math.NaN() }
