package app

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheckCommand runs banlie healthcheck against a real server
// (ready: exit 0), a server answering 503 (the reason is said) and an address
// where nothing listens.
func TestHealthcheckCommand(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, quiet, ServeHooks{Listening: func(a string) { addrc <- a }}) }()
	defer func() { cancel(); <-done }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	}
	waitReady(t, addr)

	var out, errb bytes.Buffer
	if err := Run(context.Background(), []string{"healthcheck", "--url", "http://" + addr + "/readyz"}, &out, &errb); err != nil {
		t.Fatalf("healthcheck of a ready server: %v", err)
	}
	if strings.TrimSpace(out.String()) != "ready" {
		t.Errorf("healthcheck printed %q", out.String())
	}
	// Without --url it probes 127.0.0.1 at the port of BANLIE_ADDR, as
	// inside a container (BANLIE_ADDR=:8080).
	_, port, _ := net.SplitHostPort(addr)
	t.Setenv("BANLIE_ADDR", ":"+port)
	if err := Run(context.Background(), []string{"healthcheck"}, &out, &errb); err != nil {
		t.Fatalf("healthcheck from BANLIE_ADDR :%s: %v", port, err)
	}

	unready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable","reason":"start-up roll-up not finished"}`))
	}))
	defer unready.Close()
	err := Run(context.Background(), []string{"healthcheck", "--url", unready.URL + "/readyz"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "start-up roll-up not finished") {
		t.Fatalf("healthcheck of an unready server: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()
	err = Run(context.Background(), []string{"healthcheck", "--url", "http://" + free + "/readyz", "--timeout", "2s"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("healthcheck where nothing listens: %v", err)
	}
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/readyz",
		"[::]:9000":      "http://127.0.0.1:9000/readyz",
		"10.0.0.5:8080":  "http://10.0.0.5:8080/readyz",
		"[::1]:8080":     "http://[::1]:8080/readyz",
		"localhost:8080": "http://localhost:8080/readyz",
	} {
		if got := healthURL(addr); got != want {
			t.Errorf("healthURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
