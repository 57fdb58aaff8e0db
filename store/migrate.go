package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Migrations are numbered SQL files, applied in order, each in its own
// transaction together with its row in schema_migrations. The few types that
// differ between SQLite and PostgreSQL are placeholders filled per dialect
// ({{pk}}, {{ts}}); a statement that only one dialect can say starts with
// its name, {{sqlite}} or {{postgres}}, and is run on that one only (see
// forDialect).
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	Version int
	Name    string
	SQL     string
}

var dialectTypes = map[string]map[string]string{
	"sqlite":   {"{{pk}}": "INTEGER PRIMARY KEY AUTOINCREMENT", "{{ts}}": "DATETIME"},
	"postgres": {"{{pk}}": "BIGSERIAL PRIMARY KEY", "{{ts}}": "TIMESTAMPTZ"},
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations must be numbered 1, 2, 3…: found %d at position %d", m.Version, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the number of the newest migration this binary knows.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// Migrate brings the database up to the newest schema and reports how many
// steps it applied. A database newer than this binary is refused.
func Migrate(ctx context.Context, db *gorm.DB, log *slog.Logger) (int, error) {
	return migrate(ctx, db, log, 0)
}

// migrate is Migrate up to schema version upTo (0 for the newest), for
// tests of one step on data of the schema before it.
func migrate(ctx context.Context, db *gorm.DB, log *slog.Logger, upTo int) (int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	all := len(ms)
	if upTo > 0 && upTo < len(ms) {
		ms = ms[:upTo]
	}
	dialect := db.Dialector.Name()
	types, ok := dialectTypes[dialect]
	if !ok {
		return 0, fmt.Errorf("migrate: unsupported database %q", dialect)
	}
	db = db.WithContext(ctx)
	// Instances starting together on one PostgreSQL database take turns.
	lock := func(tx *gorm.DB) error {
		if dialect == "postgres" {
			return tx.Exec(`SELECT pg_advisory_xact_lock(7261)`).Error
		}
		return nil
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := lock(tx); err != nil {
			return err
		}
		return tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ` + types["{{ts}}"] + ` NOT NULL)`).Error
	})
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	current, err := CurrentVersion(db)
	if err != nil {
		return 0, err
	}
	if current > all {
		return 0, fmt.Errorf("migrate: the database is at schema version %d, newer than this binary's %d", current, all)
	}
	applied := 0
	for _, m := range ms[min(current, len(ms)):] {
		sql := m.SQL
		for k, v := range types {
			sql = strings.ReplaceAll(sql, k, v)
		}
		done := false
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := lock(tx); err != nil {
				return err
			}
			// Another instance may have applied it meanwhile.
			var n int64
			if err := tx.Raw(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			done = true
			for _, stmt := range splitSQL(sql) {
				stmt, ok := forDialect(stmt, dialect)
				if !ok {
					continue
				}
				if err := tx.Exec(stmt).Error; err != nil {
					return err
				}
			}
			return tx.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, time.Now().UTC()).Error
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: step %d (%s): %w", m.Version, m.Name, err)
		}
		if done {
			log.Info("schema migrated", "version", m.Version, "name", m.Name)
			applied++
		}
	}
	if applied > 0 {
		// A step may change stored data: answers that running instances
		// keep (models.Store.DataVersion) must not outlive it.
		if err := db.Exec(`UPDATE data_version SET v = v + 1 WHERE id = 1`).Error; err != nil {
			return applied, fmt.Errorf("migrate: %w", err)
		}
	}
	return applied, nil
}

// CurrentVersion answers the database's schema version: the last migration
// applied, 0 for a new database.
func CurrentVersion(db *gorm.DB) (int, error) {
	var v *int
	if err := db.Raw(`SELECT MAX(version) FROM schema_migrations`).Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// forDialect answers the statement as dialect runs it, and false when it
// is another dialect's: a statement that starts with {{sqlite}} or
// {{postgres}} is that dialect's alone (the marker is taken off); any other
// is run on both.
func forDialect(stmt, dialect string) (string, bool) {
	for name := range dialectTypes {
		if rest, ok := strings.CutPrefix(stmt, "{{"+name+"}}"); ok {
			return strings.TrimSpace(rest), name == dialect
		}
	}
	return stmt, true
}

// splitSQL splits a migration into statements at semicolons that end a line,
// dropping comment lines. Migrations keep to that shape.
func splitSQL(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
