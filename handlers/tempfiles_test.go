package handlers_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"banlie/handlers"
)

// The bodies a crashed process left spooled are removed once they are an
// hour old; newer ones (a request may be using them) and other files are
// let be.
func TestRemoveStaleTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	files := map[string]bool{ // name: old
		"banlie-body-123":       true,
		"banlie-import-456.csv": true,
		"banlie-body-789":       false,
		"banlie-import-000.csv": false,
		"banlie.db":             true,
		"other-body-1":          true,
	}
	for name, isOld := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if isOld {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "banlie-body-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, "banlie-body-dir"), old, old); err != nil {
		t.Fatal(err)
	}
	if n := handlers.RemoveStaleTempFiles(dir, time.Hour); n != 2 {
		t.Errorf("removed %d files, want 2", n)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{"banlie-body-789", "banlie-body-dir", "banlie-import-000.csv", "banlie.db", "other-body-1"}
	if !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
