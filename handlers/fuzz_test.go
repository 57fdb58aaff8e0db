package handlers_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banlie/app"
	"banlie/handlers"
	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

// fuzzServer is an in-process server (no network) with one route, for
// fuzzing the decoders and validators of the write endpoints.
func fuzzServer(f *testing.F) (*echo.Echo, string) {
	f.Helper()
	cfg := app.Config{DB: filepath.Join(f.TempDir(), "fuzz.db"), Loc: shanghai, Synchronous: "NORMAL"}
	db, err := store.Open(cfg.DB, store.Options{Synchronous: cfg.Synchronous})
	if err != nil {
		f.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := store.Migrate(context.Background(), db, log); err != nil {
		f.Fatal(err)
	}
	st := store.NewStore(db, shanghai, func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, shanghai) })
	ctx := context.Background()
	secret, _, err := st.CreateToken(ctx, store.System, "fuzz", "admin")
	if err != nil {
		f.Fatal(err)
	}
	if _, err := st.CreateRoute(ctx, store.System, models.RouteInput{Code: "SCO-TJ-MOW", Name: "SCO Zone – Tongjiang – Moscow", Mode: "rail",
		Stops: []models.Stop{{Name: "Jiaozhou", Country: "CN", Role: "origin"}, {Name: "Moscow", Country: "RU", Role: "destination"}}}); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return handlers.New(handlers.Config{Store: st, Log: log, Ready: func(context.Context) error { return nil }}), secret
}

// fuzzWrite sends body to method path and fails on a 5xx or on an answer
// that is not problem+json when it is an error.
func fuzzWrite(t *testing.T, e *echo.Echo, secret, method, path string, body []byte) {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s answered %d for %q: %s", method, path, rec.Code, body, rec.Body)
	}
	if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("error without problem+json for %q: %d %s", body, rec.Code, rec.Body)
	}
	if rec.Code >= 400 && (strings.Contains(rec.Body.String(), "sql") || strings.Contains(rec.Body.String(), "gorm")) {
		t.Fatalf("internals in an answer: %s", rec.Body)
	}
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK && rec.Code < 400 {
		t.Fatalf("unexpected status %d", rec.Code)
	}
}

func FuzzCreateRun(f *testing.F) {
	e, secret := fuzzServer(f)
	for _, s := range []string{
		`{"route":"SCO-TJ-MOW","number":"X8024","direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00","status":"departed","containers":55,"teu":110,"container_numbers":["CSQU3054383"]}`,
		`{"route":"SCO-TJ-MOW","number":"X1","direction":"inbound","departed_at":"2024-10-31T20:00:00Z","arrived_at":"2024-11-15T00:00:00Z","status":"arrived"}`,
		`{"containers":-1,"teu":1e400}`, `[]`, `null`, `{"number":"\u0000"}`, `{"departed_at":"9999-12-31T23:59:59+14:00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzWrite(t, e, secret, "POST", "/api/v1/runs", body)
	})
}

func FuzzPatchRun(f *testing.F) {
	e, secret := fuzzServer(f)
	req := httptest.NewRequest("POST", "/api/v1/runs", strings.NewReader(`{"route":"SCO-TJ-MOW","number":"X1","direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00","containers":5,"teu":10}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"id":1,`) {
		f.Fatalf("setup run: %d %s", rec.Code, rec.Body)
	}
	for _, s := range []string{`{"arrived_at":null}`, `{"status":"arrived","arrived_at":"2024-10-01T00:00:00Z"}`, `{"container_numbers":null}`, `{"teu":null}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzWrite(t, e, secret, "PATCH", "/api/v1/runs/1", body)
	})
}

func FuzzCreateRoute(f *testing.F) {
	e, secret := fuzzServer(f)
	for _, s := range []string{
		`{"code":"SCO-AKL-DUI","name":"SCO – Alashankou – Duisburg","mode":"rail","stops":[{"name":"Jiaozhou","country":"CN","locode":"CNJZH","role":"origin"},{"name":"Alashankou","country":"CN","role":"border"},{"name":"Duisburg","country":"DE","locode":"DEDUI","role":"destination"}],"tags":["west-corridor"]}`,
		`{"code":"X","stops":[{}]}`, `{"stops":[{"locode":"KXALA","country":"KX"}]}`, `{"tags":[""]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzWrite(t, e, secret, "POST", "/api/v1/routes", body)
	})
}

func FuzzCreateSeaRailCount(f *testing.F) {
	e, secret := fuzzServer(f)
	for _, s := range []string{
		`{"date":"2024-10-12","port":"CNQIN","direction":"export","teu":1520,"note":""}`,
		`{"date":"2024-02-30","teu":-1}`, `{"teu":1000001}`, `{"date":"0000-01-01","port":" ","direction":"import","teu":0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzWrite(t, e, secret, "POST", "/api/v1/sea-rail-counts", body)
	})
}
