package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// smallBuffers is a listener whose connections have a small send buffer,
// so that a server's writes wait for its client to read.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// smallReceiveBuffer dials connections with a small receive buffer, so
// that a server's writes wait for the client to read.
func smallReceiveBuffer() *net.Dialer {
	return &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10) }); err != nil {
			return err
		}
		return serr
	}}
}

// TestExportOutlastsTheWriteTimeout: an export that takes longer than the
// server's write timeout (200 ms here, while the client pauses after the
// first bytes, with small socket buffers at both ends so that the server
// waits for it) arrives whole: the deadline moves on as the bytes go out.
func TestExportOutlastsTheWriteTimeout(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, code := range []string{"SCO-TJ-MOW", "XIAN-DUIS", "CHONGQING-LODZ", "YIWU-MAD", "HEFEI-HAM"} {
		ts.mustDo(t, http.StatusCreated, "POST", "/api/v1/routes", routeBody(code))
	}
	const n = 4000
	for i, q := range seedRunsStatements {
		args := []any{}
		if i == 0 {
			args = append(args, n)
		}
		if err := ts.Store.DB().Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}

	const timeout = 200 * time.Millisecond
	srv := httptest.NewUnstartedServer(ts.handler)
	srv.Config.WriteTimeout = timeout
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	dialer := smallReceiveBuffer()
	// Gzipped or not: the deadline is set through the compressor too.
	for _, gzipped := range []bool{false, true} {
		t.Run("gzip="+strconv.FormatBool(gzipped), func(t *testing.T) {
			exportPausing(t, srv.URL, dialer, gzipped, n, 2*timeout)
		})
	}
}

// exportPausing GETs the export of n seeded runs through dialer, reading
// the first bytes, then pausing for pause, then the rest, and checks that
// every run arrived, newest first.
func exportPausing(t *testing.T, url string, dialer *net.Dialer, gzipped bool, n int, pause time.Duration) {
	tr := &http.Transport{DialContext: dialer.DialContext, DisableCompression: !gzipped}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/runs/export", nil)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Uncompressed != gzipped {
		t.Fatalf("status %d, gzipped %v", res.StatusCode, res.Uncompressed)
	}
	body := bufio.NewReaderSize(res.Body, 1<<10)
	if _, err := body.Peek(1 << 10); err != nil {
		t.Fatal(err)
	}
	// Past the write timeout (not an event to await: the deadline itself)
	// with the server's writes held up by the client's pause.
	time.Sleep(pause)
	all, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("the export broke off after %d bytes: %v", len(all), err)
	}
	recs, err := csv.NewReader(bytes.NewReader(all)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n+1 {
		t.Fatalf("%d records, want the header and %d runs", len(recs), n)
	}
	for k, r := range recs[1:] {
		if id, _ := strconv.Atoi(r[0]); id != n-k {
			t.Fatalf("record %d is run %s, want %d", k+1, r[0], n-k)
		}
	}
}

// TestExportsAreBounded: an export holds a database connection while its
// client takes the CSV, so a server sends at most four at a time; a fifth
// answers 503 with Retry-After, and once one of the four is over, the next
// is sent.
func TestExportsAreBounded(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, code := range []string{"SCO-TJ-MOW", "XIAN-DUIS", "CHONGQING-LODZ", "YIWU-MAD", "HEFEI-HAM"} {
		ts.mustDo(t, http.StatusCreated, "POST", "/api/v1/routes", routeBody(code))
	}
	for i, q := range seedRunsStatements {
		args := []any{}
		if i == 0 {
			args = append(args, 4000)
		}
		if err := ts.Store.DB().Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewUnstartedServer(ts.handler)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	dialer := smallReceiveBuffer()
	// Four exports whose clients take the first bytes and then nothing:
	// the server's writes wait for them.
	var held []*http.Response
	for range 4 {
		tr := &http.Transport{DialContext: dialer.DialContext, DisableCompression: true}
		t.Cleanup(tr.CloseIdleConnections)
		res, err := (&http.Client{Transport: tr}).Get(srv.URL + "/api/v1/runs/export")
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("export: %d", res.StatusCode)
		}
		held = append(held, res)
	}
	res, err := http.Get(srv.URL + "/api/v1/runs/export")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !bytes.Contains(body, []byte("4 exports are under way")) {
		t.Fatalf("a fifth export: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	// One client goes away: its export ends, and the next one is sent.
	held[0].Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(srv.URL + "/api/v1/runs/export")
		if err != nil {
			t.Fatal(err)
		}
		all, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			if n := bytes.Count(all, []byte("\n")); n != 4001 {
				t.Fatalf("the export after one ended has %d lines", n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no export was sent after one of the four ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, r := range held[1:] {
		r.Body.Close()
	}
}
