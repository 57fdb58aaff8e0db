package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"banlie/models"
	"banlie/store"
)

// `banlie import --runs -` reads a pipe to its end before it opens the
// write transaction: while the pipe is slow to deliver, the other writers
// of the database (the server) are not held up behind SQLite's writer.
func TestImportFromAPipeDoesNotHoldTheWriter(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the input is spooled
	cfg := testConfig(t)
	ctx := context.Background()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	route := func(code string) error {
		_, err := st.CreateRoute(ctx, store.System, models.RouteInput{Code: code, Name: code, Mode: "rail",
			Stops: []models.Stop{{Name: "Jiaozhou", Country: "CN", Role: "origin"}, {Name: "Moscow", Country: "RU", Role: "destination"}}})
		return err
	}
	if err := route("SCO-TJ-MOW"); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var out, errs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- importFrom(ctx, []string{"--runs", "-", "--db", cfg.DB, "--tz", "Asia/Shanghai"}, r, &out, &errs, quiet)
	}()
	const n = 10000
	var b strings.Builder
	b.WriteString("route,number,direction,departed_at\n")
	for i := range n {
		fmt.Fprintf(&b, "SCO-TJ-MOW,P%d,outbound,2024-%02d-%02dT09:30:00+08:00\n", i, 1+i%12, 1+i%28)
	}
	text := b.String()
	// Most of the file: the write returns once the import has read all but
	// what the pipe's buffer holds (64 KiB), thousands of lines, batches of
	// them written had it opened its transaction.
	first := len(text) * 3 / 4
	if first < 256<<10 {
		t.Fatalf("%d bytes: not past the pipe's buffer", first)
	}
	if _, err := w.WriteString(text[:first]); err != nil {
		t.Fatal(err)
	}
	// Another writer, while the pipe is still open.
	if err := route("XI-DUI"); err != nil {
		t.Fatalf("a write while the import read its pipe: %v", err)
	}
	if _, err := w.WriteString(text[first:]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := <-done; err != nil {
		t.Fatalf("%v: %s", err, errs.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("imported %d runs", n)) {
		t.Fatalf("%s %s", out.String(), errs.String())
	}
	var runs int64
	if err := st.DB().Table("runs").Count(&runs).Error; err != nil || runs != n {
		t.Fatalf("%d runs stored (%v), want %d", runs, err, n)
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Fatalf("left in TMPDIR: %v (%v)", left, err)
	}
}
