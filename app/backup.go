package app

import (
	"banlie/store"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the live database to out with SQLite's
// VACUUM INTO: it reads one snapshot, so writes that go on meanwhile are
// either wholly in the copy or not at all, and it never blocks them. To
// restore, stop the server and copy the file back over the database (and
// remove any -wal and -shm files beside it).
func Backup(ctx context.Context, cfg Config, out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file", out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	if store.IsPostgres(cfg.DB) {
		return errors.New("backup: the database is PostgreSQL; use pg_dump, which takes a consistent copy the same way")
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer store.Close(db)
	if err := db.WithContext(ctx).Exec("VACUUM INTO ?", abs).Error; err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	var out string
	fs := newFlagSet("backup", "Takes a consistent online copy of the SQLite database while the server runs.\nRestore: stop the server, copy the file back over the database, remove its -wal and -shm files.", stderr, &cfg)
	fs.StringVar(&out, "out", "", "the file to write (must not exist)")
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	if out == "" {
		return errors.New("backup: say where: --out FILE")
	}
	if err := Backup(ctx, cfg, out); err != nil {
		return err
	}
	log.Info("backup written", "file", out)
	fmt.Fprintln(stdout, out)
	return nil
}
