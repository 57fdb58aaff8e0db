package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/store/storetest"
)

// portsStep is the migration that makes ports reference data.
const portsStep = 14

// TestMigrationTurnsPortTextsIntoPorts: counts logged with free-text ports
// (the schema before portsStep) name a port by code afterwards. Texts that
// differ in case or blanks are one; those that name a known port by code,
// alias or name (with or without 港 or " Port") move to it; anything else,
// and any count that would collide on its port, stays apart on a port under
// review that the admin list shows. No count is lost or changed otherwise.
func TestMigrationTurnsPortTextsIntoPorts(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			db, err := store.Open(storetest.NewDSN(t, b), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close(db) })
			if _, err := store.MigrateTo(ctx, db, quiet, portsStep-1); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			insert := func(date, port, dir string, teu int) {
				t.Helper()
				if err := db.Exec(`INSERT INTO sea_rail_counts (date, port, port_key, direction, teu, note, created_at, updated_at)
					VALUES (?, ?, LOWER(TRIM(?)), ?, ?, '', ?, ?)`, date, port, port, dir, teu, now, now).Error; err != nil {
					t.Fatalf("%s %q: %v", date, port, err)
				}
			}
			// As the demo logged them: Qingdao, every day of October 2024, both ways.
			for d := 1; d <= 31; d++ {
				insert(fmt.Sprintf("2024-10-%02d", d), "Qingdao", "export", 100)
				insert(fmt.Sprintf("2024-10-%02d", d), "Qingdao", "import", 90)
			}
			// Variants: of Qingdao on days of their own, and one that collides.
			insert("2024-11-01", "qingdao ", "export", 1)
			insert("2024-11-02", "QINGDAO", "export", 2)
			insert("2024-11-03", "青岛港", "export", 3)
			insert("2024-11-04", "青岛港", "import", 4)
			insert("2024-10-05", "青岛港", "export", 5) // Qingdao has this day's export
			insert("2024-11-05", "cntao", "export", 6)
			insert("2024-11-06", "Rizhao Port", "export", 7)
			insert("2024-11-07", "日照", "export", 8)
			insert("2024-11-09", "Qindao", "export", 9)
			insert("2024-11-08", "Qindao", "import", 10)
			insert("2024-11-01", "🚢", "import", 11)
			var before []int64
			if err := db.Raw(`SELECT id FROM sea_rail_counts ORDER BY id`).Scan(&before).Error; err != nil {
				t.Fatal(err)
			}

			if n, err := store.Migrate(ctx, db, quiet); err != nil || n != store.SchemaVersion()-(portsStep-1) {
				t.Fatalf("migrate from %d: %d steps, %v", portsStep-1, n, err)
			}
			st := store.NewStore(db, shanghai, storetest.NewClock(storetest.DefaultNow).Now)

			// Every count is still there, with its TEU, on a port.
			type count struct {
				ID        int64
				Date      string
				Port      string
				PortKey   string
				Direction string
				TEU       int
			}
			var after []count
			if err := db.Raw(`SELECT id, date, port, port_key, direction, teu FROM sea_rail_counts ORDER BY id`).Scan(&after).Error; err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Fatalf("%d counts after the step, %d before", len(after), len(before))
			}
			byTEU := map[int]count{}
			perPort := map[string]int{}
			for _, c := range after {
				if c.PortKey != foldASCII(c.Port) {
					t.Errorf("count %d: port %s, key %s", c.ID, c.Port, c.PortKey)
				}
				byTEU[c.TEU] = c
				perPort[c.Port]++
			}
			for teu, port := range map[int]string{100: "CNQIN", 90: "CNQIN", 1: "CNQIN", 2: "CNQIN", 3: "CNQIN", 4: "CNQIN", 6: "CNQIN", 7: "CNRZH", 8: "CNRZH"} {
				if got := byTEU[teu].Port; got != port {
					t.Errorf("the count of %d TEU is on %s, want %s", teu, got, port)
				}
			}
			if perPort["CNQIN"] != 62+5 || perPort["CNRZH"] != 2 {
				t.Errorf("counts per port %v", perPort)
			}

			// The rest is listed for review, by text; the collision suggests its port.
			unresolved := true
			page, err := st.ListPorts(ctx, models.PortFilter{Unresolved: &unresolved})
			if err != nil {
				t.Fatal(err)
			}
			review := map[string]models.Port{}
			for _, p := range page.Items {
				if !p.NeedsReview || p.Text == nil || p.NameEn != *p.Text || p.NameZh != *p.Text {
					t.Errorf("under review: %+v", p)
				}
				review[*p.Text] = p
			}
			if len(review) != 3 {
				t.Fatalf("%d ports under review, want 3: %+v", len(review), page.Items)
			}
			for text, want := range map[string]struct {
				teu       []int
				suggested string
			}{"Qindao": {[]int{9, 10}, ""}, "🚢": {[]int{11}, ""}, "青岛港": {[]int{5}, "CNQIN"}} {
				p := review[text]
				var teu []int
				for _, c := range after {
					if c.Port == p.Code {
						teu = append(teu, c.TEU)
					}
				}
				if !slices.Equal(teu, want.teu) || p.Counts != int64(len(want.teu)) || deref(p.Suggested) != want.suggested {
					t.Errorf("%q: port %s with counts of %v TEU (%d), suggested %q; want %v, %q", text, p.Code, teu, p.Counts, deref(p.Suggested), want.teu, want.suggested)
				}
			}

			// The admin resolves them: a merge that would collide is refused
			// and changes nothing; the others merge.
			w := store.Write{Actor: models.Actor{Name: "admin"}}
			collide := review["青岛港"].Code
			_, err = st.MergePort(ctx, w, collide, models.PortMerge{Into: "CNQIN"})
			if e := wantCode(t, err, models.ECONFLICT); len(e.Fields) != 1 || e.Fields[0].Params["date"] != "2024-10-05" {
				t.Fatalf("colliding merge: %+v", e)
			}
			if got, err := st.GetPort(ctx, collide); err != nil || got.Counts != 1 {
				t.Fatalf("after the refused merge: %+v %v", got, err)
			}
			if _, err := st.MergePort(ctx, w, review["Qindao"].Code, models.PortMerge{Into: "cnqin"}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.MergePort(ctx, w, review["🚢"].Code, models.PortMerge{Into: review["青岛港"].Code}); err == nil {
				t.Fatal("merged into a port under review")
			}
			qd, err := st.GetPort(ctx, "CNQIN")
			if err != nil || qd.Counts != 62+5+2 || !slices.Equal(qd.Aliases, []string{"CNQDG", "CNTAO"}) {
				t.Fatalf("Qingdao after the merge: %+v %v", qd, err)
			}
			// A merged port under review leaves no alias behind.
			if _, err := st.CreateSeaRailCount(ctx, w, models.SeaRailInput{Date: "2024-12-01", Port: review["Qindao"].Code, Direction: "export", TEU: ptr(1)}); err == nil {
				t.Fatal("a count was logged on a merged port under review")
			}
			page, err = st.ListPorts(ctx, models.PortFilter{Unresolved: &unresolved})
			if err != nil || len(page.Items) != 2 {
				t.Fatalf("still under review: %+v %v", page.Items, err)
			}
		})
	}
}

func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
