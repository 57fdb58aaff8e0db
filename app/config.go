package app

import (
	"banlie/store"
	"flag"
	"fmt"
	"gorm.io/gorm"
	"io"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"banlie/handlers"
	"banlie/jobs"
)

// Config is read once, from flags and their environment twins.
type Config struct {
	Addr string
	DB   string
	TZ   string
	// TZExplicit: --tz or BANLIE_TZ was given. Otherwise a database keeps
	// the zone it was last used with, and a new one takes Asia/Shanghai.
	TZExplicit bool
	Loc        *time.Location
	Demo       bool
	BodyLimit  string
	// ImportLimit is the largest CSV POST /api/v1/runs/import accepts
	// (handlers.Config.ImportLimit).
	ImportLimit string
	// Synchronous is SQLite's synchronous setting: FULL keeps every
	// acknowledged write through a power loss; NORMAL is faster and keeps
	// them through a process crash only.
	Synchronous string
	// Job schedules: cron specs of 5 fields, 6 with leading seconds, or descriptors.
	RollupSchedule  string
	RebuildSchedule string
	SummarySchedule string
	PrivateReads    bool
	RateLimit       float64
	// MaxStreams bounds the open event streams (handlers.Config.MaxStreams).
	MaxStreams  int
	CORSOrigins string
	TrustProxy  bool
	// DBWait bounds how long serve waits for the database to answer.
	DBWait time.Duration
	// PublicURL is where clients reach the server (absolute links in the
	// Atom feed); empty: the request's scheme and host.
	PublicURL string
	// WebhookAllowPrivate lets webhooks reach private, loopback and
	// link-local addresses; Webhooks tunes their delivery (tests).
	WebhookAllowPrivate bool
	Webhooks            jobs.WebhookConfig
	// SMTPURL is the server mail is sent through (--smtp-url); empty: no
	// mail is sent. MailFrom is the sender's address; Mail tunes the
	// sending (tests).
	SMTPURL  string
	MailFrom string
	Mail     jobs.MailConfig
}

// envOr answers the environment variable, or def when it is unset or empty.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// newFlagSet builds a command's flags with the ones every command shares.
func newFlagSet(name, usage string, stderr io.Writer, cfg *Config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: banlie %s [flags]\n\n%s\n\nFlags (each has an environment twin, shown in brackets):\n", name, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.DB, "db", envOr("BANLIE_DB", "banlie.db"),
		"database: a SQLite file path (created if missing), or a postgres:// URL for several instances sharing one PostgreSQL database [BANLIE_DB]")
	fs.StringVar(&cfg.TZ, "tz", envOr("BANLIE_TZ", ""),
		"reporting time zone (IANA name): days, months and years are taken in it; without it a database keeps the zone it was last used with, and a new one takes Asia/Shanghai; another zone recomputes every departure day [BANLIE_TZ]")
	fs.StringVar(&cfg.Synchronous, "sqlite-synchronous", envOr("BANLIE_SQLITE_SYNCHRONOUS", "FULL"),
		"SQLite synchronous mode: FULL survives power loss, NORMAL only a process crash but writes faster [BANLIE_SQLITE_SYNCHRONOUS]")
	return fs
}

// finish validates the parsed configuration.
func (c *Config) finish() error {
	if c.TZ == "" {
		c.TZ = "Asia/Shanghai" // a new database's zone; an existing one keeps its own (openStore)
	}
	loc, err := time.LoadLocation(c.TZ)
	if err != nil {
		return fmt.Errorf("--tz %q is not a known IANA time zone (e.g. Asia/Shanghai)", c.TZ)
	}
	c.Loc = loc
	c.Synchronous = strings.ToUpper(c.Synchronous)
	if c.Synchronous != "FULL" && c.Synchronous != "NORMAL" {
		return fmt.Errorf("--sqlite-synchronous must be FULL or NORMAL")
	}
	if c.DB == "" {
		return fmt.Errorf("--db must not be empty")
	}
	if c.PublicURL != "" {
		u, err := handlers.ParsePublicURL(c.PublicURL)
		if err != nil {
			return fmt.Errorf("--public-url %q: %v", c.PublicURL, err)
		}
		c.PublicURL = u
	}
	if c.SMTPURL != "" {
		// The value is never echoed: it may carry a password.
		srv, err := jobs.ParseSMTPURL(c.SMTPURL)
		if err != nil {
			return fmt.Errorf("--smtp-url: %v", err)
		}
		c.Mail.Server = srv
		a, err := mail.ParseAddress(c.MailFrom)
		if err != nil {
			return fmt.Errorf("--mail-from %q: must be one e-mail address, e.g. banlie@example.com (needed with --smtp-url)", c.MailFrom)
		}
		c.MailFrom = a.Address
		if c.PublicURL == "" {
			return fmt.Errorf("--public-url is needed with --smtp-url: the messages' unsubscribe links are absolute")
		}
	}
	return nil
}

// envBool and envFloat read typed environment twins; a value that does not
// parse is reported when the flags are checked.
func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err == nil {
			return b
		}
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err == nil {
			return f
		}
	}
	return def
}

// openDB opens the configured database.
func openDB(cfg Config) (*gorm.DB, error) {
	return store.Open(cfg.DB, store.Options{Synchronous: cfg.Synchronous})
}
