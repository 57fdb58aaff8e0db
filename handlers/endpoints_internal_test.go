package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// checkEndpoints refuses a table that contradicts itself, and accepts the
// server's.
func TestCheckEndpoints(t *testing.T) {
	h := func(echo.Context) error { return nil }
	ok := []endpoint{
		{http.MethodGet, "/api/v1/things", h, readers, tagged | kept | gzipped},
		{http.MethodPost, "/api/v1/things", h, operators, idempotent},
		{http.MethodGet, "/healthz", h, anyone, tagged | gzipped},
	}
	if err := checkEndpoints(ok); err != nil {
		t.Fatalf("a valid table refused: %v", err)
	}
	for _, c := range []struct {
		add  endpoint
		want string
	}{
		{endpoint{http.MethodGet, "/api/v1/things", h, readers, tagged}, "twice"},
		{endpoint{http.MethodDelete, "/api/v1/things", nil, admins, 0}, "no handler"},
		{endpoint{http.MethodGet, "/api/v1/other", h, 0, tagged}, "who may call"},
		{endpoint{http.MethodDelete, "/api/v1/other", h, anyone, 0}, "open to anyone"},
		{endpoint{http.MethodPatch, "/api/v1/other", h, admins, gzipped}, "only GET"},
		{endpoint{http.MethodGet, "/api/v1/other", h, readers, idempotent}, "only POST"},
		{endpoint{http.MethodGet, "/api/v1/other", h, readers, kept}, "without an ETag"},
		{endpoint{http.MethodGet, "/api/v1/other", h, readers, tagged | perBase}, "not kept"},
		{endpoint{http.MethodGet, "/api/v1/other", h, readers, tagged | countedLive}, "not kept"},
		{endpoint{http.MethodPost, "/healthz", h, admins, idempotent}, "disagree"},
	} {
		err := checkEndpoints(append(ok[:len(ok):len(ok)], c.add))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want an error saying %q", c.add.method, c.add.path, err, c.want)
		}
	}
	if err := checkEndpoints(endpoints(Config{}, nil, http.NotFoundHandler())); err != nil {
		t.Fatalf("the server's table: %v", err)
	}
}
