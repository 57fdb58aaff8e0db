package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/summary"
)

const usage = `banlie tracks China–Europe Railway Express trains and the freight around them.

usage: banlie <command> [flags]

commands:
  serve      run the HTTP API and dashboard (brings the database schema up to date first)
  migrate    bring the database schema up to date and exit
  seed       load data: seed --demo loads the illustrative demo data set;
             seed --synthetic N [--seed S] [--years Y] a large made-up history
  token      manage access tokens: token create --role R --name N | token list | token revoke NAME
  import     log runs from a CSV file: import --runs FILE.csv [--dry-run]
  export     write runs as CSV: export --runs [--from D --to D --route R --mode M] [--out FILE]
  backup     take a consistent copy of the live database: backup --out FILE
  summary    print a month's summary: summary --period 2024-10 [--format markdown|html|json] [--lang zh|en]
  load       measure a running server against its floor: load --url http://127.0.0.1:8080 [--token T]
  healthcheck  exit 0 if a running server's /readyz answers 200: healthcheck [--url http://127.0.0.1:8080/readyz]

Run 'banlie <command> --help' for a command's flags.
`

// Run executes the command line args (without the program name). It returns
// when the command is done or ctx is cancelled (serve).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stderr, log)
	case "migrate":
		return cmdMigrate(ctx, args[1:], stdout, stderr, log)
	case "seed":
		return cmdSeed(ctx, args[1:], stdout, stderr, log)
	case "summary":
		return cmdSummary(ctx, args[1:], stdout, stderr, log)
	case "token":
		return cmdToken(ctx, args[1:], stdout, stderr, log)
	case "backup":
		return cmdBackup(ctx, args[1:], stdout, stderr, log)
	case "import":
		return cmdImport(ctx, args[1:], stdout, stderr, log)
	case "export":
		return cmdExport(ctx, args[1:], stdout, stderr, log)
	case "load":
		return cmdLoad(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// ErrHelp is returned when a command printed its help and did nothing else.
var ErrHelp = flag.ErrHelp

func parse(fs *flag.FlagSet, cfg *Config, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "tz" {
			cfg.TZExplicit = true
		}
	})
	if os.Getenv("BANLIE_TZ") != "" {
		cfg.TZExplicit = true
	}
	return cfg.finish()
}

// openStore opens and migrates the database and checks the reporting zone.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.Store, error) {
	db, err := openDBWait(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx, db, log); err != nil {
		_ = store.Close(db)
		return nil, err
	}
	loc := cfg.Loc
	if !cfg.TZExplicit {
		// No zone asked for: keep the one the database was last used with.
		name, err := store.StoredReportingZone(ctx, db)
		if err != nil {
			_ = store.Close(db)
			return nil, err
		}
		if name != "" {
			if loc, err = time.LoadLocation(name); err != nil {
				_ = store.Close(db)
				return nil, fmt.Errorf("the database's reporting time zone %q is unknown to this system; give one with --tz", name)
			}
		}
	}
	st := store.NewStore(db, loc, time.Now)
	changed, err := st.EnsureReportingZone(ctx)
	if err != nil {
		_ = store.Close(db)
		return nil, err
	}
	if changed {
		log.Warn("reporting time zone changed; departure days recomputed", "tz", loc.String())
	}
	return st, nil
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	fs := newFlagSet("migrate", "Brings the database schema up to the version this binary needs.", stderr, &cfg)
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(st.DB())
	fmt.Fprintf(stdout, "schema at version %d\n", store.SchemaVersion())
	return nil
}

func cmdSeed(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	var synth SyntheticOptions
	fs := newFlagSet("seed", "Loads data into the database; refused unless the database holds no routes yet.\n--demo loads the illustrative demo data set (deterministic). --synthetic N loads N made-up\nruns over --years of history ending today, with their routes, the recent runs' journeys,\ndaily sea-rail counts and yearly targets, then rolls up: the same N, --seed, --years and\nday load the same data. Progress goes to standard error.", stderr, &cfg)
	fs.BoolVar(&cfg.Demo, "demo", false, "load the demo data set")
	fs.IntVar(&synth.Runs, "synthetic", 0, "load this many synthetic runs (every status), e.g. 1000000")
	fs.Int64Var(&synth.Seed, "seed", 1, "with --synthetic: the random seed (another seed, other data)")
	fs.IntVar(&synth.Years, "years", SyntheticDefaultYears, "with --synthetic: the years of history before today")
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case cfg.Demo && given["synthetic"]:
		return errors.New("seed: --demo and --synthetic exclude each other; say one")
	case !given["synthetic"] && (given["seed"] || given["years"]):
		return errors.New("seed: --seed and --years go with --synthetic N")
	case !cfg.Demo && !given["synthetic"]:
		return errors.New("nothing to seed: say --demo or --synthetic N")
	}
	if given["synthetic"] {
		if err := synth.check(); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(st.DB())
	if given["synthetic"] {
		synth.Progress = stderr
		_, err := SeedSynthetic(ctx, st, synth)
		return err
	}
	stats, err := SeedDemo(ctx, st)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data loaded: %s\n", stats)
	return nil
}

// Main is the body of the banlie binary: it runs the command and turns the
// outcome into an exit status.
func Main(ctx context.Context, args []string) int {
	err := Run(ctx, args, os.Stdout, os.Stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintln(os.Stderr, "banlie:", describe(err))
	return 1
}

func cmdSummary(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	var period, format, lang string
	fs := newFlagSet("summary", "Writes (if its figures changed) and prints the summary of a month that has ended.", stderr, &cfg)
	fs.StringVar(&period, "period", "", "the month, YYYY-MM (required)")
	fs.StringVar(&format, "format", "markdown", "markdown, html or json")
	fs.StringVar(&lang, "lang", "zh", "zh or en (markdown and html)")
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	p, err := models.ParseMonth(period)
	if err != nil {
		return fmt.Errorf("--period %q: %w", period, err)
	}
	if format != "markdown" && format != "html" && format != "json" {
		return fmt.Errorf("--format must be markdown, html or json")
	}
	if lang != "zh" && lang != "en" {
		return fmt.Errorf("--lang must be zh or en")
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(st.DB())
	s, err := st.GenerateSummary(ctx, st.WriteBy(models.Actor{Name: "cli"}, nil), p)
	if err != nil {
		var e *models.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			return fmt.Errorf("--period %s: %s", period, e.Fields[0].Message)
		}
		return err
	}
	var doc string
	switch format {
	case "markdown":
		doc, err = summary.Markdown(s, lang)
	case "html":
		doc, err = summary.HTML(s, lang)
	default:
		var b []byte
		b, err = json.MarshalIndent(s, "", "  ")
		doc = string(b) + "\n"
	}
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, doc)
	return err
}
