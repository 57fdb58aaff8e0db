package jobs

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"banlie/models"
	"banlie/store"
)

// Mail defaults (MailConfig).
const (
	DefaultMailTimeout = 30 * time.Second
	DefaultMailBackoff = 30 * time.Second
	DefaultMailPoll    = time.Second
	mailMaxBackoff     = time.Hour
	mailRetryFor       = 24 * time.Hour
	mailMaxError       = 500
)

// SMTPServer is where mail is sent: smtp://[user:pass@]host[:port] (port 587
// by default; STARTTLS when the server offers it) or smtps://… (implicit
// TLS, port 465 by default).
type SMTPServer struct {
	URL      *url.URL
	Implicit bool
	Addr     string // host:port
	Host     string
}

// ParseSMTPURL reads an --smtp-url.
func ParseSMTPURL(s string) (SMTPServer, error) {
	u, err := url.Parse(s)
	if err != nil {
		return SMTPServer{}, errors.New("not a URL, e.g. smtp://user:password@mail.example:587")
	}
	var port string
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port = "465"
	default:
		return SMTPServer{}, errors.New("must start with smtp:// (STARTTLS when offered) or smtps:// (implicit TLS)")
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return SMTPServer{}, errors.New("must be smtp://[user:password@]host[:port], with no path or query")
	}
	srv := SMTPServer{URL: u, Implicit: u.Scheme == "smtps", Host: u.Hostname()}
	srv.Addr = net.JoinHostPort(srv.Host, cmp.Or(u.Port(), port))
	return srv, nil
}

// String is the URL without its password: the form that may be logged.
func (s SMTPServer) String() string { return s.URL.Redacted() }

// MailConfig says how mail is sent; zero values take the defaults.
type MailConfig struct {
	Server SMTPServer
	// From is the sender's address (--mail-from).
	From string
	// PublicURL is the absolute base of the unsubscribe links.
	PublicURL string
	// Timeout bounds one attempt, from the dial to the end of the message.
	Timeout time.Duration
	// Backoff is the delay after a first failed attempt; each next one
	// doubles it, up to an hour, ±20 %.
	Backoff time.Duration
	// Poll is how often the mailer looks for work another instance
	// committed, or that fell due (commits of this process wake it at once).
	Poll time.Duration
	// Now is the mailer's clock (time.Now when nil).
	Now func() time.Time
}

// Mailer e-mails the outbox's summaries and milestones to the subscribers:
// per subscriber one message at a time, in event order, each claimed in the
// database so that one instance sends it.
type Mailer struct {
	st  *store.Store
	log *slog.Logger
	cfg MailConfig

	outcomes *prometheus.CounterVec
	pending  prometheus.Collector

	mu   sync.Mutex
	busy map[int64]bool
	wg   sync.WaitGroup
}

// NewMailer makes a mailer; Run starts it.
func NewMailer(st *store.Store, log *slog.Logger, cfg MailConfig) *Mailer {
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultMailTimeout)
	cfg.Backoff = cmp.Or(cfg.Backoff, DefaultMailBackoff)
	cfg.Poll = cmp.Or(cfg.Poll, DefaultMailPoll)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Mailer{st: st, log: log, cfg: cfg, busy: map[int64]bool{},
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "banlie_mail_messages_total",
			Help: "E-mail attempts by outcome: sent (accepted by the SMTP server), retried (to be tried again), failed (given up on).",
		}, []string{"outcome"}),
	}
	for _, o := range []string{"sent", "retried", "failed"} {
		m.outcomes.WithLabelValues(o)
	}
	m.pending = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "banlie_mail_messages_pending",
		Help: "E-mails not yet sent or given up on (NaN when the database cannot say).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := st.MailBacklog(ctx)
		if err != nil {
			return nan()
		}
		return float64(n)
	})
	return m
}

// Collectors are the mailer's metrics.
func (m *Mailer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.outcomes, m.pending}
}

// Run sends until ctx is cancelled, then waits for the attempts under way
// (one cut short is not recorded: its lease runs out and it is sent again).
func (m *Mailer) Run(ctx context.Context) {
	m.log.Info("mail: sending through "+m.cfg.Server.String(), "from", m.cfg.From)
	defer m.wg.Wait()
	passOnCommits(ctx, m.st, m.cfg.Poll, m.pass)
}

func (m *Mailer) pass(ctx context.Context) {
	ids, err := m.st.SubscribersToWork(ctx, m.cfg.Now())
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("mail: looking for work", "err", err)
		}
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if m.busy[id] {
			continue
		}
		m.busy[id] = true
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer func() { m.mu.Lock(); delete(m.busy, id); m.mu.Unlock() }()
			m.work(ctx, id)
		}()
	}
}

// work sends subscriber id's messages, one at a time, while one is due.
func (m *Mailer) work(ctx context.Context, id int64) {
	for ctx.Err() == nil {
		c, err := m.st.ClaimMail(ctx, id, m.cfg.Now(), m.cfg.Timeout+30*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				m.log.Error("mail: claiming a message", "subscriber", id, "err", err)
			}
			return
		}
		if c == nil {
			return
		}
		r := m.attempt(ctx, c)
		if ctx.Err() != nil {
			return
		}
		if err := m.st.RecordMail(context.WithoutCancel(ctx), c, m.cfg.Now(), r); err != nil {
			m.log.Error("mail: recording a message", "subscriber", id, "message", c.ID, "err", err)
			return
		}
		switch r.Status {
		case models.MailSent:
			m.outcomes.WithLabelValues("sent").Inc()
		case models.MailPending:
			m.outcomes.WithLabelValues("retried").Inc()
			m.log.Warn("mail: not sent, will retry", "subscriber", id, "message", c.ID, "attempt", c.Attempt, "next", r.Next, "err", *r.Err)
		default:
			m.outcomes.WithLabelValues("failed").Inc()
			m.log.Warn("mail: given up on", "subscriber", id, "message", c.ID, "event", c.EventID, "attempts", c.Attempt, "err", *r.Err)
		}
	}
}

// UnsubscribeURL is the absolute unsubscribe link of a token.
func UnsubscribeURL(base, token string) string {
	return strings.TrimRight(base, "/") + "/api/v1/unsubscribe/" + url.PathEscape(token)
}

func (m *Mailer) attempt(ctx context.Context, c *store.MailClaim) store.MailResult {
	now := m.cfg.Now()
	msg, err := ComposeMail(c, m.cfg.From, UnsubscribeURL(m.cfg.PublicURL, c.Token), now)
	if err != nil {
		e := bound(err.Error(), mailMaxError)
		return store.MailResult{Status: models.MailFailed, Err: &e}
	}
	err = m.send(ctx, msg)
	if err == nil {
		return store.MailResult{Status: models.MailSent}
	}
	e := bound(err.Error(), mailMaxError)
	r := store.MailResult{Err: &e}
	var perm *permanentError
	deadline := c.FirstAttemptAt.Add(mailRetryFor)
	if errors.As(err, &perm) || !now.Before(deadline) {
		r.Status = models.MailFailed
		return r
	}
	r.Status, r.Next = models.MailPending, now.Add(mailBackoff(m.cfg.Backoff, c.Attempt))
	if r.Next.After(deadline) {
		r.Next = deadline
	}
	return r
}

func mailBackoff(base time.Duration, n int) time.Duration {
	d := backoff(base, n)
	return min(d, mailMaxBackoff+mailMaxBackoff/5)
}

// permanentError is an SMTP 5xx answer to the recipient or the message:
// not tried again.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

// classify marks a 5xx answer to the sender, the recipient or the message
// as permanent; every other failure (the server unreachable, a 4xx, a 5xx
// to the connection's set-up) is tried again.
func classify(step string, err error) error {
	err = fmt.Errorf("%s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 && (step == "MAIL FROM" || step == "RCPT TO" || step == "DATA") {
		return &permanentError{err}
	}
	return err
}

// send delivers msg through the SMTP server: implicit TLS for smtps://,
// else STARTTLS when the server offers it; AUTH (PLAIN) with the URL's
// user and password when the server offers it.
func (m *Mailer) send(ctx context.Context, msg Message) error {
	srv := m.cfg.Server
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	d := &net.Dialer{Timeout: m.cfg.Timeout}
	var conn net.Conn
	var err error
	tlsConf := &tls.Config{ServerName: srv.Host, MinVersion: tls.VersionTLS12}
	if srv.Implicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConf}).DialContext(ctx, "tcp", srv.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", srv.Addr)
	}
	if err != nil {
		return classify("dial", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, srv.Host)
	if err != nil {
		conn.Close()
		return classify("hello", err)
	}
	defer c.Close()
	if !srv.Implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return classify("starttls", err)
			}
		}
	}
	if u := srv.URL.User; u != nil {
		if ok, _ := c.Extension("AUTH"); ok {
			pass, _ := u.Password()
			if err := c.Auth(smtp.PlainAuth("", u.Username(), pass, srv.Host)); err != nil {
				return classify("auth", err)
			}
		}
	}
	if err := c.Mail(msg.From); err != nil {
		return classify("MAIL FROM", err)
	}
	if err := c.Rcpt(msg.To); err != nil {
		return classify("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(msg.Bytes); err != nil {
		return classify("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classify("DATA", err)
	}
	_ = c.Quit()
	return nil
}
