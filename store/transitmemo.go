package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"

	"banlie/models"
)

// transitMemo keeps the transit times of a period and scope (the medians
// of every arrived run in it: a read of each of them) for as long as the
// roll-up has not run again, so that the totals a dashboard polls, which
// quote a year's transit times, cost the same at any depth. The roll-up's
// generation (settingRollupGen) grows whenever it recomputed a day (a write
// marks the days of what it changes: departures and arrivals), so an entry
// made before then is not used after it: transit times follow the roll-up,
// like every figure of the totals. Route names are looked up at each read. Several
// readers of one missing entry wait for one computation.
type transitMemo struct {
	mu      sync.Mutex
	entries map[string]transitEntry
	flight  singleflight.Group
	// refreshing are the keys whose times are being computed aside while
	// an older generation's are answered (Store.Polled); done counts them.
	refreshing map[string]bool
	done       sync.WaitGroup
}

type transitEntry struct {
	gen    string
	routes []transitByID
	times  models.TransitTimes // without the routes' names
}

// transitByID is a route's medians, named by its id.
type transitByID struct {
	id int64
	models.RouteTransit
}

// maxTransitEntries bounds the memo (periods × scopes a client may ask
// for); filling up starts afresh.
const maxTransitEntries = 512

func newTransitMemo() *transitMemo {
	return &transitMemo{entries: map[string]transitEntry{}, refreshing: map[string]bool{}}
}

// Polled is the store for a dashboard's polls: the totals it answers may
// quote the transit times of the roll-up before the last while the last
// one's are computed aside (a second or so at a million runs); once they
// are, the data version is raised, so that no kept answer holds the older
// ones for longer. Other readers (the summaries) wait for the new ones.
func (s *Store) Polled() *Store {
	c := *s
	c.staleTransit = true
	return &c
}

// transitTimes answers the median transit times of the runs in scope that
// arrived from from to to (days in the reporting time zone, inclusive).
func (s *Store) transitTimes(ctx context.Context, from, to models.Day, sc models.Scope) (models.TransitTimes, error) {
	if s.transit == nil || s.inTx {
		e, err := s.computeTransit(ctx, from, to, sc)
		if err != nil {
			return models.TransitTimes{}, err
		}
		return s.nameTransit(ctx, e)
	}
	var wm settingRow
	err := s.db.WithContext(ctx).Take(&wm, "key = ?", settingRollupGen).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return models.TransitTimes{}, err
	}
	key := strings.Join([]string{from.String(), to.String(), ptrText(sc.Route), ptrText(sc.Mode), ptrText(sc.Direction)}, "\x00")
	m := s.transit
	m.mu.Lock()
	e, ok := m.entries[key]
	m.mu.Unlock()
	if ok && e.gen != wm.Value && s.staleTransit {
		m.mu.Lock()
		if !m.refreshing[key] {
			m.refreshing[key] = true
			m.done.Add(1)
			go func() {
				defer m.done.Done()
				_, err, _ := m.flight.Do(key+"\x00"+wm.Value, compute(ctx, s, m, key, wm.Value, from, to, sc))
				m.mu.Lock()
				delete(m.refreshing, key)
				m.mu.Unlock()
				if err == nil {
					// Kept answers quoting the older times are made anew.
					_ = s.Tx(context.WithoutCancel(ctx), System, func(*Store) error { return nil })
				}
			}()
		}
		m.mu.Unlock()
		return s.nameTransit(ctx, e)
	}
	if !ok || e.gen != wm.Value {
		// The generation read before the runs: a roll-up that commits
		// meanwhile makes the entry old at once, never the reverse.
		v, err, _ := m.flight.Do(key+"\x00"+wm.Value, compute(ctx, s, m, key, wm.Value, from, to, sc))
		if err != nil {
			return models.TransitTimes{}, err
		}
		e = v.(transitEntry)
	}
	return s.nameTransit(ctx, e)
}

// compute is the memo's computation of key's times for generation gen.
func compute(ctx context.Context, s *Store, m *transitMemo, key, gen string, from, to models.Day, sc models.Scope) func() (any, error) {
	return func() (any, error) {
		e, err := s.computeTransit(context.WithoutCancel(ctx), from, to, sc)
		if err != nil {
			return nil, err
		}
		e.gen = gen
		m.mu.Lock()
		if len(m.entries) >= maxTransitEntries {
			m.entries = map[string]transitEntry{}
		}
		m.entries[key] = e
		m.mu.Unlock()
		return e, nil
	}
}

func ptrText(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// computeTransit reads the arrived runs of the period in scope (their
// route's id, direction and instants only) and computes their medians.
func (s *Store) computeTransit(ctx context.Context, from, to models.Day, sc models.Scope) (transitEntry, error) {
	q := `SELECT runs.route_id, runs.direction, runs.departed_at, runs.arrived_at
		FROM runs JOIN routes ON routes.id = runs.route_id
		WHERE runs.arrived_at >= ? AND runs.arrived_at < ? AND runs.status = ?`
	args := []any{from.Start(s.Loc).UTC(), to.Add(1).Start(s.Loc).UTC(), models.StatusArrived}
	if sc.Route != nil {
		q += " AND routes.code = ?"
		args = append(args, *sc.Route)
	}
	if sc.Mode != nil {
		q += " AND routes.mode = ?"
		args = append(args, *sc.Mode)
	}
	if sc.Direction != nil {
		q += " AND runs.direction = ?"
		args = append(args, *sc.Direction)
	}
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return transitEntry{}, err
	}
	defer rows.Close()
	// Only durations are kept, by direction and by route and direction:
	// 16 bytes a run.
	type routeDir struct {
		id  int64
		dir string
	}
	byDir := map[string][]time.Duration{}
	byRoute := map[routeDir][]time.Duration{}
	var dirBytes sql.RawBytes
	for rows.Next() {
		var id int64
		var dep, arr time.Time
		if err := rows.Scan(&id, &dirBytes, &dep, &arr); err != nil {
			return transitEntry{}, err
		}
		dir := models.DirOutbound
		if string(dirBytes) == models.DirInbound {
			dir = models.DirInbound
		}
		d := arr.Sub(dep)
		byDir[dir] = append(byDir[dir], d)
		k := routeDir{id, dir}
		byRoute[k] = append(byRoute[k], d)
	}
	if err := rows.Err(); err != nil {
		return transitEntry{}, err
	}
	median := func(ds []time.Duration) float64 { return models.Days(*models.MedianDuration(ds)) }
	var e transitEntry
	if ds := byDir[models.DirOutbound]; len(ds) > 0 {
		e.times.Outbound = &models.DirectionTransit{Runs: len(ds), MedianDays: median(ds)}
	}
	if ds := byDir[models.DirInbound]; len(ds) > 0 {
		e.times.Inbound = &models.DirectionTransit{Runs: len(ds), MedianDays: median(ds)}
	}
	for k, ds := range byRoute {
		e.routes = append(e.routes, transitByID{id: k.id, RouteTransit: models.RouteTransit{Direction: k.dir, Runs: len(ds), MedianDays: median(ds)}})
	}
	return e, nil
}

// nameTransit answers an entry's times with its routes' codes and names as
// they are now, in the order TransitTimesOf gives (most runs first, then
// by code, outbound first).
func (s *Store) nameTransit(ctx context.Context, e transitEntry) (models.TransitTimes, error) {
	out := e.times
	out.Routes = make([]models.RouteTransit, 0, len(e.routes))
	if len(e.routes) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(e.routes))
	for _, r := range e.routes {
		ids = append(ids, r.id)
	}
	var named []struct {
		ID     int64
		Code   string
		Name   string
		NameZh *string
	}
	if err := s.db.WithContext(ctx).Table("routes").Select("id, code, name, name_zh").Where("id IN ?", ids).Scan(&named).Error; err != nil {
		return out, err
	}
	byID := make(map[int64]int, len(named))
	for i, n := range named {
		byID[n.ID] = i
	}
	for _, r := range e.routes {
		i, ok := byID[r.id]
		if !ok {
			continue // deleted since: its runs went with it
		}
		rt := r.RouteTransit
		rt.Route, rt.Name, rt.NameZh = named[i].Code, named[i].Name, named[i].NameZh
		out.Routes = append(out.Routes, rt)
	}
	models.SortRouteTransit(out.Routes)
	return out, nil
}
