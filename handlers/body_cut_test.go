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
)

// A client that sends half the body of a keyed POST and stops sending is
// answered 400 (the body could not be read), as an import without a key
// is, not a 500 of the server's: whether the body was buffered in memory
// or spooled to a file.
func TestKeyedBodyCutShortIs400(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	half := func(path, contentType string, size int, token string) *http.Response {
		t.Helper()
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nIdempotency-Key: cut-%d\r\nContent-Length: %d\r\n\r\n",
			path, u.Host, token, contentType, size, size)
		body := "route,number,direction,departed_at\n" + strings.Repeat("SCO-TJ-MOW,X1,outbound,2024-01-01T09:30:00+08:00\n", size/2/49)
		if _, err := io.WriteString(conn, body[:min(len(body), size/2)]); err != nil {
			t.Fatal(err)
		}
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil { // the client stops sending
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "could not be read") ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%s, %d bytes of %d: %d %s %s", path, size/2, size, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		return res
	}
	half("/api/v1/runs/import", "text/csv", 64<<10, ts.Operator) // in memory
	half("/api/v1/runs/import", "text/csv", 4<<20, ts.Operator)  // spooled to a file
	half("/api/v1/routes", "application/json", 4<<10, ts.Admin)  // another POST
}
