// Command pbbench measures creating records with PocketBase beside creating
// runs with banlie, on the same machine, at the same SQLite synchronous
// setting, with the same closed-loop client (see run.sh and
// docs/PERFORMANCE.md "Group commit beside PocketBase").
//
//	pbbench serve -dir D -http 127.0.0.1:8090 -sync NORMAL
//	pbbench load -target pocketbase|banlie -url U -token T -clients 16 -duration 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: pbbench serve|load [flags]")
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

// serve runs PocketBase with a "runs" collection shaped like banlie's runs
// (creating needs an authenticated user, as banlie needs a token) and a user
// load@example.com / loadloadload.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("dir", "pb_data", "data directory")
	addr := fs.String("http", "127.0.0.1:8090", "listen address")
	sync := fs.String("sync", "NORMAL", "SQLite synchronous setting: NORMAL (PocketBase's default) or FULL")
	_ = fs.Parse(args)
	if *sync != "NORMAL" && *sync != "FULL" {
		return fmt.Errorf("-sync must be NORMAL or FULL")
	}
	app := pocketbase.NewWithConfig(pocketbase.Config{
		HideStartBanner: true,
		DefaultDataDir:  *dir,
		// PocketBase's own pragmas (core.DefaultDBConnect), with the
		// synchronous setting asked for.
		DBConnect: func(dbPath string) (*dbx.DB, error) {
			return dbx.Open("sqlite", dbPath+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=journal_size_limit(200000000)&_pragma=synchronous("+*sync+")&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)")
		},
	})
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if _, err := e.App.FindCollectionByNameOrId("runs"); err != nil {
			c := core.NewBaseCollection("runs")
			c.CreateRule = types.Pointer("@request.auth.id != ''")
			c.ListRule = types.Pointer("")
			c.ViewRule = types.Pointer("")
			c.Fields.Add(
				&core.TextField{Name: "route", Required: true, Max: 64},
				&core.TextField{Name: "number", Required: true, Max: 32},
				&core.SelectField{Name: "direction", Required: true, Values: []string{"outbound", "inbound"}, MaxSelect: 1},
				&core.SelectField{Name: "status", Required: true, Values: []string{"planned", "departed", "arrived", "cancelled"}, MaxSelect: 1},
				&core.DateField{Name: "departed_at", Required: true},
				&core.NumberField{Name: "containers", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(500.0)},
				&core.NumberField{Name: "teu", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(1000.0)},
			)
			c.AddIndex("runs_route_number", true, "route, number", "")
			if err := e.App.Save(c); err != nil {
				return err
			}
			users, err := e.App.FindCollectionByNameOrId("users")
			if err != nil {
				return err
			}
			u := core.NewRecord(users)
			u.SetEmail("load@example.com")
			u.SetPassword("loadloadload")
			if err := e.App.Save(u); err != nil {
				return err
			}
		}
		return e.Next()
	})
	os.Args = []string{os.Args[0], "serve", "--http", *addr, "--dir", *dir}
	return app.Start()
}

// load creates records (PocketBase) or runs (banlie) with -clients clients
// in a closed loop for -duration and prints the rate; every answer must be
// 201 with the new record's id, or the command fails.
func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	target := fs.String("target", "pocketbase", "pocketbase or banlie")
	url := fs.String("url", "", "the server's base URL")
	token := fs.String("token", "", "banlie: an operator token; pocketbase: empty (the load user signs in)")
	route := fs.String("route", "SCO-MOW", "banlie: the route to log runs on")
	clients := fs.Int("clients", 16, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, "how long to create")
	_ = fs.Parse(args)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}, Timeout: 30 * time.Second}
	path := "/api/v1/runs"
	if *target == "pocketbase" {
		path = "/api/collections/runs/records"
		b, _ := json.Marshal(map[string]string{"identity": "load@example.com", "password": "loadloadload"})
		res, err := client.Post(*url+"/api/collections/users/auth-with-password", "application/json", bytes.NewReader(b))
		if err != nil {
			return err
		}
		var auth struct{ Token string }
		err = json.NewDecoder(res.Body).Decode(&auth)
		res.Body.Close()
		if err != nil || auth.Token == "" {
			return fmt.Errorf("pocketbase sign-in: %d %v", res.StatusCode, err)
		}
		*token = auth.Token
	} else if *target != "banlie" {
		return fmt.Errorf("-target must be pocketbase or banlie")
	}
	authz := *token
	if *target == "banlie" {
		authz = "Bearer " + authz
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	var next, done atomic.Int64
	var firstErr atomic.Value
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := next.Add(1)
				body, _ := json.Marshal(map[string]any{
					"route": *route, "number": "P" + stamp + "-" + strconv.FormatInt(n, 10), "direction": "outbound",
					"status": "departed", "departed_at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339),
					"containers": 50, "teu": 100,
				})
				req, _ := http.NewRequest("POST", *url+path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", authz)
				res, err := client.Do(req)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					cancel()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				var rec struct {
					ID json.RawMessage `json:"id"`
				}
				if (res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK) || json.Unmarshal(b, &rec) != nil || len(rec.ID) == 0 || string(rec.ID) == "null" || string(rec.ID) == `""` {
					firstErr.CompareAndSwap(nil, fmt.Errorf("answer %d: %.200s", res.StatusCode, b))
					cancel()
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Printf("%s\t%d\t%.0f\n", *target, done.Load(), float64(done.Load())/elapsed.Seconds())
	return nil
}
