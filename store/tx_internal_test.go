package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// A transaction nested in another runs in a savepoint: when it fails, what
// it wrote and the events it emitted are undone and the outer one goes on
// and commits; when it succeeds, its savepoint is released (none is left
// open behind it), and its writes commit with the outer transaction.
func TestNestedTransactionsUndoAndRelease(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "nested.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Close(db) })
	if _, err := Migrate(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	st := NewStore(db, time.UTC, nil)
	failed := errors.New("the nested write fails")
	err = st.Tx(ctx, System, func(tx *Store) error {
		if err := tx.emit("test.outer", map[string]int{"n": 1}); err != nil {
			return err
		}
		if err := tx.db.Save(&settingRow{Key: "outer", Value: "1"}).Error; err != nil {
			return err
		}
		nerr := tx.Tx(ctx, System, func(in *Store) error {
			if err := in.emit("test.undone", map[string]int{"n": 2}); err != nil {
				return err
			}
			if err := in.db.Save(&settingRow{Key: "undone", Value: "2"}).Error; err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(nerr, failed) {
			t.Errorf("the nested transaction answered %v", nerr)
		}
		for i := range 3 {
			if err := tx.Tx(ctx, System, func(in *Store) error {
				return in.db.Save(&settingRow{Key: "kept" + string(rune('a'+i)), Value: "3"}).Error
			}); err != nil {
				return err
			}
		}
		// Every savepoint was released: releasing one more by the first
		// name is an error ("no such savepoint").
		if err := tx.exec("RELEASE SAVEPOINT banlie_sp1"); err == nil {
			t.Error("a savepoint was left open")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := db.Model(&settingRow{}).Where("key IN ?", []string{"outer", "undone", "kepta", "keptb", "keptc"}).Order("key").Pluck("key", &keys).Error; err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 || keys[0] != "kepta" || keys[3] != "outer" {
		t.Fatalf("rows after the commit: %v, want the outer one and the three kept, not the undone one", keys)
	}
	evs, err := st.Events(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != "test.outer" {
		t.Fatalf("events %+v, want only the outer one", evs)
	}
}
