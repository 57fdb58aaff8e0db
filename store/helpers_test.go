package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/store/storetest"
)

// shanghai is the reporting zone of every test store.
var shanghai = storetest.Shanghai

// env is one test's store on one backend, with its clock.
type env struct {
	st    *store.Store
	clock *storetest.Clock
	ctx   context.Context
	w     store.Write // by "tester", at the store's clock
}

// eachBackend runs fn as a subtest on a fresh store of every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	for _, b := range storetest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, openEnv(t, b))
		})
	}
}

func openEnv(t testing.TB, backend string) *env {
	t.Helper()
	clock := storetest.NewClock(storetest.DefaultNow)
	st := storetest.MustOpenAt(t, backend, shanghai, clock)
	return &env{st: st, clock: clock, ctx: context.Background(), w: store.Write{Actor: models.Actor{Name: "tester", RequestID: "req-test"}}}
}

// at parses an RFC 3339 instant, for test data.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// wantCode fails the test unless err is a coded error with code, and answers it.
func wantCode(t testing.TB, err error, code string) *models.Error {
	t.Helper()
	var e *models.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a coded %s error", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("error code %s (%v), want %s", e.Code, e, code)
	}
	return e
}

// wantFields fails the test unless the coded error names exactly these
// fields, in any order.
func wantFields(t testing.TB, err error, code string, fields ...string) {
	t.Helper()
	e := wantCode(t, err, code)
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	slices.Sort(got)
	fields = slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, fields) {
		t.Fatalf("error fields %q, want %q (%v)", got, fields, e)
	}
}

// routeInput is a valid route of mode with two stops.
func routeInput(code, mode string) models.RouteInput {
	return models.RouteInput{Code: code, Name: "Route " + code, Mode: mode,
		Stops: []models.Stop{{Name: "Jiaozhou", Country: "CN", Locode: ptr("CNJZH"), Role: models.RoleOrigin},
			{Name: "Moscow", Country: "RU", Role: models.RoleDestination}}}
}

func (e *env) mustRoute(t testing.TB, code, mode string) models.Route {
	t.Helper()
	r, err := e.st.CreateRoute(e.ctx, e.w, routeInput(code, mode))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// runInput is a departed run of route with containers and TEU.
func runInput(route, number string, departed time.Time, containers int) models.RunInput {
	return models.RunInput{Route: route, Number: number, Direction: models.DirOutbound, DepartedAt: departed.Format(time.RFC3339Nano),
		Status: models.StatusDeparted, Containers: &containers, TEU: ptr(2 * containers)}
}

func (e *env) mustRun(t testing.TB, in models.RunInput) models.Run {
	t.Helper()
	r, err := e.st.CreateRun(e.ctx, e.w, in)
	if err != nil {
		t.Fatalf("create run %s: %v", in.Number, err)
	}
	return r
}

func (e *env) mustRollup(t testing.TB, full bool) models.RollupStats {
	t.Helper()
	st, err := e.st.Rollup(context.Background(), full)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// audit answers every audit entry of an entity, newest first.
func (e *env) audit(t testing.TB, entity, id string) []models.AuditEntry {
	t.Helper()
	f := models.AuditFilter{Entity: &entity, Limit: store.MaxLimit}
	if id != "" {
		f.EntityID = &id
	}
	p, err := e.st.ListAudit(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if p.NextCursor != nil {
		t.Fatalf("more than %d audit entries of %s", store.MaxLimit, entity)
	}
	return p.Items
}

// actions lists the actions of audit entries, in their order.
func actions(es []models.AuditEntry) []string {
	out := []string{}
	for _, a := range es {
		out = append(out, a.Action)
	}
	return out
}

func idOf(id int64) string { return fmt.Sprint(id) }
