package app

import (
	"banlie/store"
	"strings"
	"testing"
)

func TestDisplayDBHidesPostgresPassword(t *testing.T) {
	got := store.DisplayDB("postgres://banlie:s3cret@db.internal:5432/banlie?sslmode=require")
	if strings.Contains(got, "s3cret") {
		t.Fatalf("password shown: %s", got)
	}
	if !strings.Contains(got, "banlie:xxxxx@db.internal:5432/banlie") {
		t.Fatalf("host and database lost: %s", got)
	}
	if got := store.DisplayDB("/var/lib/banlie/banlie.db"); got != "/var/lib/banlie/banlie.db" {
		t.Fatalf("SQLite path changed: %s", got)
	}
}
