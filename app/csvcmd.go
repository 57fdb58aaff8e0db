package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"banlie/models"
	"banlie/store"
)

const csvHelp = `CSV columns (header line required, any order): route, number, direction,
departed_at (RFC 3339 with offset), arrived_at, status, containers, teu, cargo,
container_numbers (separated by ; or spaces).`

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	var runs string
	var dry bool
	fs := newFlagSet("import", "Logs runs from a CSV file in one transaction: if any line is invalid, nothing is written\nand every problem is listed with its line. Lines already stored with the same values are\nskipped, so importing a file again never counts a train twice.\n\n"+csvHelp, stderr, &cfg)
	fs.StringVar(&runs, "runs", "", "the CSV file of runs (- for standard input)")
	fs.BoolVar(&dry, "dry-run", false, "check the file and say what would be imported, write nothing")
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	if runs == "" {
		return errors.New("import: say what: --runs FILE.csv")
	}
	var in io.Reader = os.Stdin
	if runs != "-" {
		f, err := os.Open(runs)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in = f
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(st.DB())
	res, err := st.ImportRuns(ctx, st.WriteBy(models.Actor{Name: "cli-import"}, nil), in, dry)
	if err != nil {
		var e *models.Error
		if errors.As(err, &e) {
			for _, f := range e.Fields {
				fmt.Fprintf(stderr, "%s: %s\n", f.Field, f.Message)
			}
			return errors.New(e.Message)
		}
		return err
	}
	verb := "imported"
	if dry {
		verb = "would import"
	}
	fmt.Fprintf(stdout, "%s %d runs; %d already stored with the same values\n", verb, res.Created, res.Skipped)
	return nil
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	var from, to, route, mode, out string
	var runs bool
	fs := newFlagSet("export", "Writes runs as CSV (newest departure first), in the format import reads.\n\n"+csvHelp, stderr, &cfg)
	fs.BoolVar(&runs, "runs", false, "export runs")
	fs.StringVar(&from, "from", "", "first departure date, YYYY-MM-DD (reporting zone)")
	fs.StringVar(&to, "to", "", "last departure date, YYYY-MM-DD (reporting zone)")
	fs.StringVar(&route, "route", "", "only this route's runs")
	fs.StringVar(&mode, "mode", "", "only runs of this mode")
	fs.StringVar(&out, "out", "", "the file to write (default: standard output)")
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	if !runs {
		return errors.New("export: say what: --runs")
	}
	var f models.RunFilter
	for _, d := range []struct {
		v   string
		dst **models.Day
	}{{from, &f.From}, {to, &f.To}} {
		if d.v != "" {
			day, err := models.ParseDay(d.v)
			if err != nil {
				return fmt.Errorf("export: %q %w", d.v, err)
			}
			*d.dst = &day
		}
	}
	if route != "" {
		f.Route = &route
	}
	if mode != "" {
		f.Mode = &mode
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(st.DB())
	w := stdout
	if out != "" {
		file, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer file.Close()
		w = file
	}
	n, err := st.ExportRuns(ctx, f, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d runs\n", n)
	return nil
}
