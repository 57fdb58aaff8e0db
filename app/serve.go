package app

import (
	"banlie/store"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"banlie/handlers"
	"banlie/jobs"
	"banlie/models"
	"banlie/web"

	"github.com/labstack/gommon/bytes"
)

// ServeHooks lets a caller (tests, the end-to-end suite) learn the address the
// server listens on once it accepts connections, and when the start-up jobs
// (the roll-up, then the summaries it catches up on) have ended.
type ServeHooks struct {
	Listening func(addr string)
	Warmed    func()
}

func cmdServe(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	fs := newFlagSet("serve", "Runs the HTTP API and the dashboard until SIGINT or SIGTERM; in-flight requests\nfinish before the database is closed.", stderr, &cfg)
	fs.StringVar(&cfg.Addr, "addr", envOr("BANLIE_ADDR", ":8080"), "address to listen on, host:port [BANLIE_ADDR]")
	fs.BoolVar(&cfg.Demo, "demo", false, "load the illustrative demo data first if the database holds no routes")
	fs.StringVar(&cfg.RollupSchedule, "rollup-schedule", envOr("BANLIE_ROLLUP_SCHEDULE", "* * * * *"),
		"when the rollup job brings totals up to date: cron spec, 5 fields or 6 with seconds, or @every 30s [BANLIE_ROLLUP_SCHEDULE]")
	fs.StringVar(&cfg.RebuildSchedule, "rebuild-schedule", envOr("BANLIE_REBUILD_SCHEDULE", "30 3 * * *"),
		"when the rebuild job recomputes every roll-up and logs any drift [BANLIE_REBUILD_SCHEDULE]")
	fs.StringVar(&cfg.SummarySchedule, "summary-schedule", envOr("BANLIE_SUMMARY_SCHEDULE", "15 1 * * *"),
		"when the summary job writes the summaries of ended months that are missing or whose figures changed (reporting zone) [BANLIE_SUMMARY_SCHEDULE]")
	fs.BoolVar(&cfg.PrivateReads, "private-reads", envBool("BANLIE_PRIVATE_READS", false), "reads need a viewer token too [BANLIE_PRIVATE_READS]")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", envFloat("BANLIE_RATE_LIMIT", 50), "requests per second per token, or per client address without one, bursts of twice that; 0 turns limiting off [BANLIE_RATE_LIMIT]")
	fs.StringVar(&cfg.CORSOrigins, "cors-origins", envOr("BANLIE_CORS_ORIGINS", ""), "comma-separated origins allowed to call the API from a browser, e.g. https://wall.example; none by default [BANLIE_CORS_ORIGINS]")
	fs.BoolVar(&cfg.TrustProxy, "trust-proxy", envBool("BANLIE_TRUST_PROXY", false), "take client addresses from X-Forwarded-For (only behind a proxy that sets it) [BANLIE_TRUST_PROXY]")
	fs.StringVar(&cfg.PublicURL, "public-url", envOr("BANLIE_PUBLIC_URL", ""), "the address clients reach the server at, e.g. https://banlie.example, for the Atom feed's links; by default the request's scheme and host (X-Forwarded-Proto and X-Forwarded-Host with --trust-proxy) [BANLIE_PUBLIC_URL]")
	fs.StringVar(&cfg.BodyLimit, "body-limit", envOr("BANLIE_BODY_LIMIT", "1MiB"), "largest request body accepted, e.g. 1MiB or 512KiB (KB and MB are powers of 1000) [BANLIE_BODY_LIMIT]")
	fs.StringVar(&cfg.ImportLimit, "import-limit", envOr("BANLIE_IMPORT_LIMIT", handlers.DefaultImportLimit), "largest CSV file POST /api/v1/runs/import accepts, e.g. 64MiB or 1GiB (the --body-limit does not apply to it) [BANLIE_IMPORT_LIMIT]")
	fs.IntVar(&cfg.MaxStreams, "max-streams", envInt("BANLIE_MAX_STREAMS", handlers.DefaultMaxStreams), "the most event streams (GET /api/v1/stream) open at once; above it a stream answers 503 [BANLIE_MAX_STREAMS]")
	fs.DurationVar(&cfg.DBWait, "db-wait", envDuration("BANLIE_DB_WAIT", 60*time.Second), "on start, wait this long for the database to answer, retrying with backoff; 0 tries once [BANLIE_DB_WAIT]")
	fs.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", envBool("BANLIE_WEBHOOK_ALLOW_PRIVATE", false), "let webhooks reach private, loopback and link-local addresses (receivers on this machine or network); refused by default [BANLIE_WEBHOOK_ALLOW_PRIVATE]")
	fs.StringVar(&cfg.SMTPURL, "smtp-url", envOr("BANLIE_SMTP_URL", ""), "SMTP server the summaries and milestones are e-mailed through: smtp://user:password@host:port (STARTTLS when the server offers it; port 587 by default) or smtps://… (implicit TLS; port 465); none by default: no mail is sent, subscribers can still be managed [BANLIE_SMTP_URL]")
	fs.StringVar(&cfg.MailFrom, "mail-from", envOr("BANLIE_MAIL_FROM", ""), "the messages' From address, e.g. banlie@example.com (needed with --smtp-url) [BANLIE_MAIL_FROM]")
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	return Serve(ctx, cfg, log, ServeHooks{})
}

// Serve runs the server until ctx is cancelled, then shuts down in order:
// stop accepting, let in-flight requests finish, close the database.
func Serve(ctx context.Context, cfg Config, log *slog.Logger, hooks ServeHooks) error {
	if n, err := bytes.Parse(cmp.Or(cfg.ImportLimit, handlers.DefaultImportLimit)); err != nil || n <= 0 {
		return fmt.Errorf("serve: --import-limit must be a size such as 64MiB, not %q", cfg.ImportLimit)
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	db := st.DB()
	defer func() {
		if err := store.Close(db); err != nil {
			log.Error("closing the database", "err", err)
		}
		log.Info("database closed")
	}()
	if cfg.Demo {
		empty, err := demoNeeded(ctx, st)
		if err != nil {
			return err
		}
		if empty {
			stats, err := SeedDemo(ctx, st)
			if err != nil {
				return err
			}
			log.Info("demo data loaded", "what", stats.String())
		}
	}

	sched := jobs.New(st, log)
	for _, j := range []jobs.Job{
		jobs.RollupJob(st, log, orDefault(cfg.RollupSchedule, "* * * * *")),
		jobs.RebuildJob(st, log, orDefault(cfg.RebuildSchedule, "30 3 * * *")),
		jobs.SummaryJob(st, log, orDefault(cfg.SummarySchedule, "15 1 * * *")),
		jobs.PurgeJob(st, log, "17 * * * *"),
	} {
		if err := sched.Add(j); err != nil {
			return err
		}
	}
	whc := cfg.Webhooks
	whc.AllowPrivate = cfg.WebhookAllowPrivate
	deliverer := jobs.NewDeliverer(st, log, whc)
	collectors := append(sched.Collectors(), deliverer.Collectors()...)
	// The mailer runs only with an SMTP server; subscribers are managed
	// either way.
	var mailer *jobs.Mailer
	if cfg.SMTPURL != "" {
		mc := cfg.Mail
		mc.From, mc.PublicURL = cfg.MailFrom, cfg.PublicURL
		mailer = jobs.NewMailer(st, log, mc)
		collectors = append(collectors, mailer.Collectors()...)
	} else {
		log.Info("no --smtp-url: no mail is sent")
	}
	// Totals are served from roll-ups: /readyz says ready only once a
	// roll-up has succeeded, so a database filled offline serves correct
	// totals, and not while the last one failed.
	warmed := make(chan struct{})
	isReady := Readiness(st, sched)
	// Runs a killed process left running end now, as abandoned.
	if err := sched.AbandonLeftRuns(ctx); err != nil {
		log.Error("abandoned job runs not marked", "err", err)
	}

	if ok, err := st.HasAdminToken(ctx); err != nil {
		return err
	} else if !ok {
		log.Warn("no admin token yet: writes are refused until you create one with: banlie token create --role admin --name NAME --db '" + store.DisplayDB(cfg.DB) + "'")
	}
	var origins []string
	for _, o := range strings.Split(cfg.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	e := handlers.New(handlers.Config{
		Store:               st,
		Log:                 log,
		Jobs:                sched,
		PrivateReads:        cfg.PrivateReads,
		RateLimit:           cfg.RateLimit,
		CORSOrigins:         origins,
		TrustProxy:          cfg.TrustProxy,
		PublicURL:           cfg.PublicURL,
		Ready:               isReady,
		Collectors:          collectors,
		Web:                 web.FS(),
		BodyLimit:           cfg.BodyLimit,
		ImportLimit:         cfg.ImportLimit,
		MaxStreams:          cfg.MaxStreams,
		WebhookAllowPrivate: cfg.WebhookAllowPrivate,
		// The streams end when the server is told to stop, before the
		// in-flight requests are waited for.
		Stopping: ctx.Done(),
	})
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if n := handlers.RemoveStaleTempFiles(os.TempDir(), time.Hour); n > 0 {
		log.Info("removed request bodies a crash left in the temporary directory", "files", n)
	}
	log.Info("listening", "addr", ln.Addr().String(), "db", store.DisplayDB(cfg.DB), "tz", st.Loc.String())
	if hooks.Listening != nil {
		hooks.Listening(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go func() {
		defer close(warmed)
		if hooks.Warmed != nil {
			defer hooks.Warmed()
		}
		// Fresh planner statistics first (quick: a sample of each index),
		// so that the roll-up's and the reads' queries take their indexes.
		if err := st.Optimize(ctx); err != nil {
			log.Error("planner statistics not refreshed", "err", err)
		}
		// With a watermark stored this roll-up is incremental: the days
		// written or passed since the last one; without (a database filled
		// offline) it recomputes everything, set-based.
		if r, err := sched.RunNow(ctx, store.System, jobs.NameRollup); err != nil || r.Status != models.JobOK {
			log.Error("start-up roll-up failed; the scheduled roll-up will try again", "err", err, "error", r.Error)
			return
		}
		// Catch up on missing summaries; the service is ready meanwhile.
		if _, err := sched.RunNow(ctx, store.System, jobs.NameSummary); err != nil {
			log.Error("start-up summaries", "err", err)
		}
	}()
	sched.Start()
	dctx, stopDeliveries := context.WithCancel(context.WithoutCancel(ctx))
	delivered := make(chan struct{})
	go func() { defer close(delivered); deliverer.Run(dctx) }()
	mailed := make(chan struct{})
	go func() {
		defer close(mailed)
		if mailer != nil {
			mailer.Run(dctx)
		}
	}()
	// On PostgreSQL one connection listens for the commits of every
	// instance: kept answers then need no query (store.ListenForWrites).
	listened := make(chan struct{})
	go func() { defer close(listened); st.ListenForWrites(dctx, log, nil) }()
	// Stop order: HTTP first (in-flight requests finish), then the
	// scheduler (running jobs finish), the webhook deliveries and the mail
	// (an attempt under way is cut short and sent again later), then the
	// database (deferred above).
	defer func() {
		<-warmed
		sched.Stop()
		log.Info("scheduler stopped")
		stopDeliveries()
		<-delivered
		log.Info("webhook deliveries stopped")
		<-mailed
		if mailer != nil {
			log.Info("mail stopped")
		}
		<-listened
	}()

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
