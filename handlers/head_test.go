package handlers_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestHeadKeepsConnection checks that a HEAD answer leaves the connection
// open for the next request, as a client's connection pool expects: a server
// that closes it after HEAD makes the next request on it fail with a reset.
func TestHeadKeepsConnection(t *testing.T) {
	ts := newTestServer(t)
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	send := func(method, path string) *http.Response {
		t.Helper()
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", method, path, u.Host, ts.Viewer)
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		res, err := http.ReadResponse(r, req)
		if err != nil {
			t.Fatalf("%s %s on the kept connection: %v", method, path, err)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, path := range []string{"/api/v1/routes", "/api/v1/totals/monthly?year=2024", "/healthz"} {
		head := send(http.MethodHead, path)
		if head.StatusCode != http.StatusOK || head.Close {
			t.Fatalf("HEAD %s answered %d with Connection close=%v; want 200 on a kept connection", path, head.StatusCode, head.Close)
		}
		if head.ContentLength <= 0 {
			t.Errorf("HEAD %s declares Content-Length %d; want the GET body's length", path, head.ContentLength)
		}
		get := send(http.MethodGet, path)
		if get.StatusCode != http.StatusOK {
			t.Fatalf("GET %s after HEAD on the same connection answered %d", path, get.StatusCode)
		}
		if get.ContentLength != head.ContentLength && !strings.HasPrefix(path, "/healthz") {
			t.Errorf("GET %s is %d bytes, HEAD declared %d", path, get.ContentLength, head.ContentLength)
		}
	}
}
