package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthURL is the /readyz address of a server listening on addr (host:port,
// host optional) as seen from the same host.
func healthURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/readyz"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}

// cmdHealthcheck probes /readyz and succeeds only on a 200: a container's
// health check that needs neither a shell nor curl.
func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	var target string
	var timeout time.Duration
	fs := newFlagSet("healthcheck", "Asks a running server's /readyz and exits 0 if it answers 200, 1 otherwise\n(with the reason on standard error).", stderr, &cfg)
	addr := envOr("BANLIE_ADDR", ":8080")
	fs.StringVar(&target, "url", envOr("BANLIE_HEALTHCHECK_URL", healthURL(addr)), "the URL to probe; by default /readyz on 127.0.0.1 at the port of BANLIE_ADDR [BANLIE_HEALTHCHECK_URL]")
	fs.DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if timeout <= 0 {
		return fmt.Errorf("--timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("--url %q: %w", target, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %d: %s", target, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(stdout, "ready")
	return nil
}
