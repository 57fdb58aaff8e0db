// The synthetic data set: a large, reproducible history for evaluation and
// benchmarks (banlie seed --synthetic N).
//
// EVERYTHING SeedSynthetic WRITES IS MADE UP, and unlike the demo data set
// it echoes no published figure: the number of runs is the caller's (a
// national operator's ten years is about a million), spread over the years
// with a growth curve, seasons (the Spring Festival dip, Golden Week) and
// day-to-day noise. The places, border crossings, gauges and UN/LOCODEs are
// real, and the vocabulary (stops, cargo lists, train loads, journeys) is
// the demo's; places the domain sheet gives no code for carry none.
//
// The data set is a function of the number of runs, the seed, the years and
// the day it is loaded on (the reporting zone's today): runs before today
// have departed (arrived when their transit has ended), today's and the
// next weeks' are planned, a few are cancelled. The runs are generated day
// by day and streamed as CSV into the store's import (the bulk path, which
// validates every line), never held all in memory.

package app

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"banlie/models"
	"banlie/store"
)

// Bounds and defaults of the synthetic data set.
const (
	SyntheticDefaultYears = 10
	SyntheticMaxYears     = 20
	SyntheticMaxRuns      = 50_000_000

	// synthPlanDays is how far ahead runs are planned.
	synthPlanDays = 28
	// synthRecentDays: the runs that departed in these last days list
	// container numbers and have journeys (bounded, so that a million runs
	// stays fast).
	synthRecentDays = 90
	// synthBatch is the number of runs handed to one import.
	synthBatch = 25_000
	// synthEventsBatch is the number of journeys written per transaction.
	synthEventsBatch = 500
	// Cancelled runs, per thousand: of the past days and of the planned ones.
	synthCancelledPast    = 4
	synthCancelledPlanned = 15
)

// SyntheticOptions say what SeedSynthetic generates.
type SyntheticOptions struct {
	Runs  int   // the number of runs, every status
	Seed  int64 // the random seed: another seed, other data
	Years int   // the years of history before today (0: SyntheticDefaultYears)
	// Progress receives a line per phase and per batch of runs; nil: none.
	Progress io.Writer
}

func (o SyntheticOptions) check() error {
	switch {
	case o.Runs < 1 || o.Runs > SyntheticMaxRuns:
		return fmt.Errorf("--synthetic must be a number of runs from 1 to %d, not %d", SyntheticMaxRuns, o.Runs)
	case o.Years < 1 || o.Years > SyntheticMaxYears:
		return fmt.Errorf("--years must be from 1 to %d, not %d", SyntheticMaxYears, o.Years)
	}
	return nil
}

// SyntheticStats say what SeedSynthetic loaded.
type SyntheticStats struct {
	Routes, Runs, Journeys, Events, SeaRailCounts, Targets int
	Elapsed                                                time.Duration
}

func (s SyntheticStats) String() string {
	return fmt.Sprintf("%d routes, %d runs, %d journeys (%d events), %d sea-rail counts, %d targets in %s",
		s.Routes, s.Runs, s.Journeys, s.Events, s.SeaRailCounts, s.Targets, s.Elapsed.Round(100*time.Millisecond))
}

func errSyntheticRefused() error {
	return models.Errorf(models.ECONFLICT, "synthetic data refused: the database already holds routes; load the synthetic data set only into an empty database")
}

// SeedSynthetic loads the synthetic data set into s, which must hold no
// routes yet: the routes (in one transaction, which checks that again),
// the runs (in batches of synthBatch, each one import), the journeys of the
// recent runs, the daily sea-rail counts, a network target per year, and
// then a roll-up, so that totals and milestones are there at once. A
// failure part way leaves what the finished steps wrote: seed a new file
// again.
func SeedSynthetic(ctx context.Context, s *store.Store, opt SyntheticOptions) (SyntheticStats, error) {
	began := time.Now()
	if opt.Years == 0 {
		opt.Years = SyntheticDefaultYears
	}
	if err := opt.check(); err != nil {
		return SyntheticStats{}, err
	}
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(progress, "synthetic: "+format+"\n", args...) }
	if ok, err := demoNeeded(ctx, s); err != nil {
		return SyntheticStats{}, err
	} else if !ok {
		return SyntheticStats{}, errSyntheticRefused()
	}
	g := newSynthGen(s.Loc, s.Today(), opt)
	var st SyntheticStats
	w := s.WriteBy(store.System.Actor, nil)

	err := s.Tx(ctx, w, func(tx *store.Store) error {
		if ok, err := demoNeeded(ctx, tx); err != nil {
			return err
		} else if !ok {
			return errSyntheticRefused()
		}
		for _, r := range g.routeInputs() {
			if _, err := tx.CreateRoute(ctx, w, r); err != nil {
				return fmt.Errorf("synthetic route %s: %w", r.Code, err)
			}
			st.Routes++
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	say("%d routes; %d runs from %s to %s (seed %d)", st.Routes, opt.Runs, g.first, g.first.Add(len(g.perDay)-1), opt.Seed)

	phase := time.Now()
	for st.Runs < opt.Runs {
		n := min(synthBatch, opt.Runs-st.Runs)
		created, err := g.importBatch(ctx, s, w, n)
		st.Runs += created
		if err != nil {
			return st, fmt.Errorf("synthetic runs %d to %d: %w", st.Runs+1, st.Runs+n, err)
		}
		say("runs %d of %d (%.0f/s)", st.Runs, opt.Runs, float64(st.Runs)/time.Since(phase).Seconds())
	}

	phase = time.Now()
	if st.Journeys, st.Events, err = g.journeys(ctx, s, w); err != nil {
		return st, err
	}
	say("journeys of the runs since %s: %d runs, %d events (%s)", models.DayOf(g.recent, g.loc), st.Journeys, st.Events, time.Since(phase).Round(100*time.Millisecond))

	phase = time.Now()
	counts := g.seaRailCounts()
	err = s.Tx(ctx, w, func(tx *store.Store) error {
		for _, c := range counts {
			if _, err := tx.CreateSeaRailCount(ctx, w, c); err != nil {
				return fmt.Errorf("synthetic sea-rail count %s %s %s: %w", c.Date, c.Port, c.Direction, err)
			}
			st.SeaRailCounts++
		}
		for _, t := range g.targets() {
			if _, err := tx.CreateTarget(ctx, w, t); err != nil {
				return fmt.Errorf("synthetic target %d: %w", t.Year, err)
			}
			st.Targets++
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	say("%d sea-rail counts, %d targets (%s)", st.SeaRailCounts, st.Targets, time.Since(phase).Round(100*time.Millisecond))

	phase = time.Now()
	rs, err := s.Rollup(ctx, false)
	if err != nil {
		return st, fmt.Errorf("synthetic roll-up: %w", err)
	}
	say("roll-up: %d days, %d months, %d milestones (%s)", rs.Days, rs.Months, rs.Milestones, time.Since(phase).Round(100*time.Millisecond))
	st.Elapsed = time.Since(began)
	say("loaded %s", st)
	return st, nil
}

// importRunsCSV hands a CSV stream of runs (header first) to the store's
// import, which validates every line and writes them all or none, and
// answers how many runs it created. The one place the seed calls the
// import.
func importRunsCSV(ctx context.Context, s *store.Store, w store.Write, r io.Reader) (int, error) {
	f, err := store.ReadRunsCSV(r, store.CharsetUTF8)
	if err != nil {
		return 0, err
	}
	res, err := s.ImportRuns(ctx, w, f, store.ImportOptions{})
	return res.Created, err
}

// importBatch streams the next n runs through importRunsCSV: the CSV is
// written by a goroutine into a pipe while the import reads it.
func (g *synthGen) importBatch(ctx context.Context, s *store.Store, w store.Write, n int) (int, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := g.writeCSV(pw, n)
		pw.CloseWithError(err)
		done <- err
	}()
	created, err := importRunsCSV(ctx, s, w, pr)
	pr.CloseWithError(errors.New("the import stopped reading")) // ends the writer if it has not
	werr := <-done
	var e *models.Error
	switch {
	case errors.As(err, &e) && len(e.Fields) > 0:
		return created, fmt.Errorf("%s; first: %s: %s", e.Message, e.Fields[0].Field, e.Fields[0].Message)
	case err != nil:
		return created, err
	case werr != nil:
		return created, werr
	case created != n:
		return created, fmt.Errorf("the import created %d of %d runs", created, n)
	}
	return created, nil
}

// ---------------------------------------------------------------------------
// Routes

// synthRoute is a route and how its runs behave.
type synthRoute struct {
	code, name, nameZh, mode string
	stops                    []models.Stop
	tags                     []string
	// num: the day's k-th run of the route that way is numbered
	// X(num+2k) outbound, X(num+2k+1) inbound (road trips: TIR-n).
	num        int
	days       [2]int // transit, days
	weight     int64  // share of the runs among the open routes
	inboundPct int    // inbound share once the network is grown
	cargo      [2][]string
	// opens is when the route opens, in thousandths of the span; 0: before
	// it.
	opens int
}

func synthOrigin(name string) models.Stop { return demoStop(name, "CN", "", models.RoleOrigin) }

var (
	synthXian      = synthOrigin("Xi'an")
	synthChengdu   = synthOrigin("Chengdu")
	synthChongqing = synthOrigin("Chongqing")
	synthZhengzhou = synthOrigin("Zhengzhou")
	synthWuhan     = synthOrigin("Wuhan")
	synthYiwu      = synthOrigin("Yiwu")
	synthChangsha  = synthOrigin("Changsha")
	synthHefei     = synthOrigin("Hefei")
	synthJinan     = synthOrigin("Jinan")
	synthTianjin   = synthOrigin("Tianjin")
	synthLYG       = synthOrigin("Lianyungang")
	synthUrumqi    = synthOrigin("Ürümqi")
	synthHarbin    = synthOrigin("Harbin")
	synthShenyang  = synthOrigin("Shenyang")
	synthSuzhou    = synthOrigin("Suzhou")
	synthGuangzhou = synthOrigin("Guangzhou")
	synthRZPort    = demoStop("Rizhao Port", "CN", "CNRZH", models.RoleOrigin)

	// Mongolia on to Russia, after Erenhot.
	synthViaMongolia = []models.Stop{demoTransit("Ulaanbaatar", "MN", "MNULN"), demoBorder("Naushki", "RU", "RUNKI")}
)

func synthStops(first models.Stop, rest ...[]models.Stop) []models.Stop {
	return demoStops(first, rest...)
}

func synthDest(name, country, locode string) []models.Stop {
	return []models.Stop{demoDest(name, country, locode)}
}

func synthRail(code, name, nameZh string, stops []models.Stop, num, d0, d1 int, weight int64, inbound int, region string, opens int) synthRoute {
	return synthRoute{code: code, name: name, nameZh: nameZh, mode: "rail", stops: stops, num: num, days: [2]int{d0, d1},
		weight: weight, inboundPct: inbound, cargo: demoCargo[region], opens: opens}
}

// synthFromDemo is a rail route of the demo data set, with the synthetic
// set's weight and opening.
func synthFromDemo(code string, weight int64, opens int) synthRoute {
	for _, r := range demoRailRoutes {
		if r.code == code {
			var tags []string
			for _, t := range r.tags {
				if strings.HasSuffix(t, "-corridor") {
					tags = append(tags, t)
				}
			}
			return synthRoute{code: r.code, name: r.name, nameZh: r.nameZh, mode: "rail", stops: r.stops, tags: tags, num: r.num,
				days: r.days, weight: weight, inboundPct: r.inboundPct, cargo: demoCargo[r.region], opens: opens}
		}
	}
	panic("no demo route " + code)
}

// synthSeaRail is a sea-rail route of the demo data set.
func synthSeaRail(code string, num, d0, d1 int, weight int64, inbound int, opens int) synthRoute {
	for _, r := range demoSeaRailRoutes {
		if r.Code == code {
			return synthRoute{code: r.Code, name: r.Name, nameZh: *r.NameZh, mode: "sea_rail", stops: r.Stops, tags: r.Tags, num: num,
				days: [2]int{d0, d1}, weight: weight, inboundPct: inbound, cargo: demoCargo["central-asia"], opens: opens}
		}
	}
	panic("no demo sea-rail route " + code)
}

// synthRoutes are the network: rail routes from hubs across China through
// the six exit ports to Europe, Russia, Mongolia, Central Asia and Iran
// (about 57% of the weight in the west corridor, 18% central, 25% east, as
// the corridors' shares in 2023), a few sea-rail lines through Qingdao and
// Rizhao, and TIR road lines.
var synthRoutes = []synthRoute{
	// West: Alashankou to Europe (through Brest – Małaszewicze) and Russia.
	synthRail("XA-AKL-MAA", "Xi'an – Alashankou – Małaszewicze", "西安—阿拉山口—马拉舍维奇",
		synthStops(synthXian, demoViaAlashankou, []models.Stop{demoBorder("Brest", "BY", "BYBQT")}, synthDest("Małaszewicze", "PL", "PLMAA")),
		8150, 12, 15, 80, 40, "europe", 0),
	synthRail("XA-AKL-HAM", "Xi'an – Alashankou – Hamburg", "西安—阿拉山口—汉堡",
		synthStops(synthXian, demoViaAlashankou, demoViaBrest, synthDest("Hamburg", "DE", "DEHAM")), 8460, 16, 19, 80, 45, "europe", 0),
	synthRail("CD-AKL-LOD", "Chengdu – Alashankou – Łódź", "成都—阿拉山口—罗兹",
		synthStops(synthChengdu, demoViaAlashankou, demoViaBrest, synthDest("Łódź", "PL", "PLLOD")), 8200, 13, 16, 75, 40, "europe", 0),
	synthRail("CQ-AKL-DUI", "Chongqing – Alashankou – Duisburg", "重庆—阿拉山口—杜伊斯堡",
		synthStops(synthChongqing, demoViaAlashankou, demoViaBrest, synthDest("Duisburg", "DE", "DEDUI")), 8220, 15, 18, 85, 40, "europe", 0),
	synthRail("WH-AKL-DUI", "Wuhan – Alashankou – Duisburg", "武汉—阿拉山口—杜伊斯堡",
		synthStops(synthWuhan, demoViaAlashankou, demoViaBrest, synthDest("Duisburg", "DE", "DEDUI")), 8016, 15, 18, 50, 40, "europe", 0),
	synthRail("YW-AKL-MAD", "Yiwu – Alashankou – Madrid", "义乌—阿拉山口—马德里",
		synthStops(synthYiwu, demoViaAlashankou, demoViaBrest, []models.Stop{demoTransit("Duisburg", "DE", "DEDUI"), demoBorder("Irún", "ES", "")},
			synthDest("Madrid", "ES", "ESMAD")), 8240, 18, 22, 25, 30, "europe", 100),
	synthRail("CS-AKL-BUD", "Changsha – Alashankou – Budapest", "长沙—阿拉山口—布达佩斯",
		synthStops(synthChangsha, demoViaAlashankou, demoViaBrest, synthDest("Budapest", "HU", "HUBUD")), 8260, 16, 19, 35, 35, "europe", 200),
	synthRail("HF-AKL-HAM", "Hefei – Alashankou – Hamburg", "合肥—阿拉山口—汉堡",
		synthStops(synthHefei, demoViaAlashankou, demoViaBrest, synthDest("Hamburg", "DE", "DEHAM")), 8280, 16, 19, 35, 40, "europe", 150),
	synthRail("CQ-AKL-MIL", "Chongqing – Alashankou – Milan", "重庆—阿拉山口—米兰",
		synthStops(synthChongqing, demoViaAlashankou, demoViaBrest, synthDest("Milan", "IT", "ITMIL")), 8300, 18, 21, 25, 35, "europe", 400),
	synthRail("SCO-AKL-MHG", "SCO Zone – Alashankou – Mannheim", "上合示范区—阿拉山口—曼海姆",
		synthStops(demoJiaozhou, demoViaAlashankou, demoViaBrest, synthDest("Mannheim", "DE", "DEMHG")), 8100, 19, 22, 30, 40, "europe", 300),
	synthFromDemo("SCO-AKL-DUI", 40, 50),
	synthFromDemo("SCO-AKL-MSQ", 40, 150),
	synthFromDemo("SCO-AKL-OVB", 30, 700),
	synthFromDemo("SCO-AKL-BUD", 20, 750),
	// West: Khorgos to Central Asia, Iran and across the Caspian.
	synthFromDemo("SCO-HRS-ALA", 70, 0),
	synthFromDemo("SCO-HRS-TAS", 55, 50),
	synthFromDemo("SCO-HRS-THR", 20, 750),
	synthRail("XA-HRS-ALA", "Xi'an – Khorgos – Almaty", "西安—霍尔果斯—阿拉木图",
		synthStops(synthXian, demoViaKhorgos, synthDest("Almaty", "KZ", "KZALA")), 9110, 5, 7, 80, 35, "central-asia", 0),
	synthRail("LYG-HRS-TAS", "Lianyungang – Khorgos – Tashkent", "连云港—霍尔果斯—塔什干",
		synthStops(synthLYG, demoViaKhorgos, synthDest("Tashkent", "UZ", "UZTAS")), 9014, 7, 9, 45, 30, "central-asia", 0),
	synthRail("URC-HRS-ALA", "Ürümqi – Khorgos – Almaty", "乌鲁木齐—霍尔果斯—阿拉木图",
		synthStops(synthUrumqi, demoViaKhorgos, synthDest("Almaty", "KZ", "KZALA")), 9130, 2, 4, 60, 40, "central-asia", 0),
	synthRail("XA-HRS-BAK", "Xi'an – Khorgos – Baku (Trans-Caspian)", "西安—霍尔果斯—巴库（跨里海）",
		synthStops(synthXian, demoViaKhorgos, []models.Stop{demoTransit("Aktau", "KZ", "")}, synthDest("Baku", "AZ", "")),
		9043, 10, 13, 20, 25, "central-asia", 600),
	// Central: Erenhot, through Mongolia.
	synthFromDemo("SCO-ERC-HAM", 30, 250),
	synthFromDemo("SCO-ERC-ULN", 40, 300),
	synthRail("ZZ-ERC-HAM", "Zhengzhou – Erenhot – Hamburg", "郑州—二连浩特—汉堡",
		synthStops(synthZhengzhou, demoViaErenhot, synthViaMongolia, demoViaBrest, synthDest("Hamburg", "DE", "DEHAM")), 8320, 15, 18, 90, 45, "europe", 0),
	synthRail("JN-ERC-MOW", "Jinan – Erenhot – Moscow", "济南—二连浩特—莫斯科",
		synthStops(synthJinan, demoViaErenhot, synthViaMongolia, synthDest("Moscow", "RU", "RUMOW")), 8340, 13, 16, 60, 40, "russia", 200),
	synthRail("CS-ERC-MSQ", "Changsha – Erenhot – Minsk", "长沙—二连浩特—明斯克",
		synthStops(synthChangsha, demoViaErenhot, synthViaMongolia, synthDest("Minsk", "BY", "BYMSQ")), 8360, 14, 17, 40, 35, "russia", 350),
	synthRail("TJ-ERC-MOW", "Tianjin – Erenhot – Moscow", "天津—二连浩特—莫斯科",
		synthStops(synthTianjin, demoViaErenhot, synthViaMongolia, synthDest("Moscow", "RU", "RUMOW")), 8480, 12, 15, 50, 40, "russia", 0),
	// East: Manzhouli, Suifenhe, Tongjiang.
	synthFromDemo("SCO-MLX-MOW", 80, 0),
	synthFromDemo("SCO-TJ-MOW", 35, 700),
	synthFromDemo("SCO-SFH-VRS", 25, 750),
	synthRail("HRB-MLX-HAM", "Harbin – Manzhouli – Hamburg", "哈尔滨—满洲里—汉堡",
		synthStops(synthHarbin, demoViaManzhouli, demoViaBrest, synthDest("Hamburg", "DE", "DEHAM")), 8380, 14, 17, 50, 45, "europe", 0),
	synthRail("SZ-MLX-WAW", "Suzhou – Manzhouli – Warsaw", "苏州—满洲里—华沙",
		synthStops(synthSuzhou, demoViaManzhouli, demoViaBrest, synthDest("Warsaw", "PL", "PLWAW")), 8400, 14, 17, 60, 40, "europe", 0),
	synthRail("HRB-SFH-VVO", "Harbin – Suifenhe – Vladivostok", "哈尔滨—绥芬河—符拉迪沃斯托克",
		synthStops(synthHarbin, demoViaSuifenhe, synthDest("Vladivostok", "RU", "RUVVO")), 8420, 2, 4, 50, 45, "russia", 100),
	synthRail("GZ-MLX-VRS", "Guangzhou – Manzhouli – Vorsino", "广州—满洲里—沃尔西诺",
		synthStops(synthGuangzhou, demoViaManzhouli, synthDest("Vorsino", "RU", "RUVRS")), 8426, 16, 19, 40, 40, "russia", 250),
	synthRail("SCO-MLX-SEL", "SCO Zone – Manzhouli – Selyatino", "上合示范区—满洲里—谢利亚季诺",
		synthStops(demoJiaozhou, demoViaManzhouli, synthDest("Selyatino", "RU", "RURZH")), 8022, 14, 16, 35, 40, "russia", 500),
	synthRail("SY-MLX-MOW", "Shenyang – Manzhouli – Moscow", "沈阳—满洲里—莫斯科",
		synthStops(synthShenyang, demoViaManzhouli, synthDest("Moscow", "RU", "RUMOW")), 8440, 12, 15, 60, 45, "russia", 0),
	// Sea-rail: by sea to Qingdao or Rizhao, by rail on.
	synthSeaRail("QDP-SCO-ALA", 9210, 9, 12, 30, 30, 200),
	synthSeaRail("QDP-SCO-TAS", 9230, 8, 11, 20, 30, 350),
	synthSeaRail("JK-QD-ALA", 9290, 11, 14, 15, 25, 450),
	{code: "RZP-HRS-ALA", name: "Rizhao Port – Khorgos – Almaty (sea-rail)", nameZh: "日照港—霍尔果斯—阿拉木图（海铁联运）", mode: "sea_rail",
		stops: synthStops(synthRZPort, demoViaKhorgos, synthDest("Almaty", "KZ", "KZALA")), tags: []string{"sea-rail"},
		num: 9250, days: [2]int{8, 11}, weight: 20, inboundPct: 30, cargo: demoCargo["central-asia"], opens: 300},
	{code: "RZP-ERC-ULN", name: "Rizhao Port – Erenhot – Ulaanbaatar (sea-rail)", nameZh: "日照港—二连浩特—乌兰巴托（海铁联运）", mode: "sea_rail",
		stops: synthStops(synthRZPort, demoViaErenhot, synthDest("Ulaanbaatar", "MN", "MNULN")), tags: []string{"sea-rail"},
		num: 9270, days: [2]int{4, 6}, weight: 15, inboundPct: 35, cargo: demoCargo["mongolia"], opens: 500},
	// Road: TIR lines.
	{code: demoRoad.code, name: demoRoad.name, nameZh: demoRoad.nameZh, mode: "road", stops: demoRoad.stops, tags: demoRoad.tags,
		days: demoRoad.days, weight: 12, inboundPct: demoRoad.inboundPct, cargo: demoRoadCargo, opens: 650},
	{code: "QD-ALA-TIR", name: "Qingdao – Almaty TIR", nameZh: "青岛—阿拉木图TIR", mode: "road",
		stops: synthStops(demoJiaozhou, []models.Stop{demoBorder("Khorgos", "CN", "CNHRS"), demoBorder("Nur Zholy", "KZ", "")}, synthDest("Almaty", "KZ", "KZALA")),
		tags:  []string{"tir"}, days: [2]int{7, 9}, weight: 10, inboundPct: 35, cargo: demoRoadCargo, opens: 700},
	{code: "QD-TAS-TIR", name: "Qingdao – Tashkent TIR (through Kyrgyzstan)", nameZh: "青岛—塔什干TIR（经吉尔吉斯斯坦）", mode: "road",
		stops: synthStops(demoJiaozhou, []models.Stop{demoBorder("Irkeshtam", "CN", ""), demoTransit("Osh", "KG", ""), demoBorder("Dostuk", "KG", "")},
			synthDest("Tashkent", "UZ", "UZTAS")),
		tags: []string{"tir"}, days: [2]int{8, 11}, weight: 8, inboundPct: 30, cargo: demoRoadCargo, opens: 750},
}

// hasBorder reports whether the route crosses a border (its runs get journeys).
func (r synthRoute) hasBorder() bool {
	return slices.ContainsFunc(r.stops, func(s models.Stop) bool { return s.Role == models.RoleBorder })
}

// ---------------------------------------------------------------------------
// Generation

// The second halves of the random streams' seeds (the first is --seed):
// the runs, the journeys, the sea-rail counts and the targets draw from
// streams of their own, so that none changes with another.
const (
	synthRunSeed     = 0x72756e73
	synthJourneySeed = 0x6a6f75726e6579
	synthSeaRailSeed = 0x7365617261696c
	synthTargetSeed  = 0x746172676574
)

type synthGen struct {
	loc    *time.Location
	seed   uint64
	rng    *rand.Rand
	dg     demoGen // the demo's load, cargo and journeys, drawing on rng
	today  models.Day
	first  models.Day  // the first day with runs
	asOf   time.Time   // today's start: runs before it have departed, from it they are planned
	recent time.Time   // runs departed since list containers and get journeys
	opened []time.Time // when each route opens
	// perDay is the number of runs of each day from first on.
	perDay []int64
	// The stream's position: the next day to generate, and the runs of
	// the day under way that are not written yet.
	day   int
	queue []models.RunInput
	tir   []int // road trips so far, per route
	boxes int   // container numbers listed so far
}

func newSynthGen(loc *time.Location, today models.Day, opt SyntheticOptions) *synthGen {
	seed := uint64(opt.Seed)
	rng := rand.New(rand.NewPCG(seed, synthRunSeed))
	asOf := today.Start(loc)
	g := &synthGen{loc: loc, seed: seed, rng: rng, today: today,
		first: models.DayOf(asOf.AddDate(-opt.Years, 0, 0), loc), asOf: asOf,
		recent: today.Add(-synthRecentDays).Start(loc), tir: make([]int, len(synthRoutes))}
	g.dg = demoGen{rng: rng, loc: loc, asOf: asOf}
	span := today.Date().Sub(g.first.Date()).Hours() / 24
	for i, r := range synthRoutes {
		d := g.first.Add(int(math.Round(span * float64(r.opens) / 1000)))
		if r.opens == 0 {
			d = g.first.Add(-60 - i*211%1500) // open before the span
		}
		g.opened = append(g.opened, d.Start(loc))
	}
	var w []int64
	for d := g.first; d.Before(today.Add(synthPlanDays)); d = d.Add(1) {
		w = append(w, g.weight(d, 90+g.rng.Int64N(21)))
	}
	g.perDay = demoApportion(int64(opt.Runs), w)
	return g
}

// synthSpringFestival is the first day of the Spring Festival, 2005–2036.
var synthSpringFestival = map[int]string{
	2005: "02-09", 2006: "01-29", 2007: "02-18", 2008: "02-07", 2009: "01-26", 2010: "02-14", 2011: "02-03", 2012: "01-23",
	2013: "02-10", 2014: "01-31", 2015: "02-19", 2016: "02-08", 2017: "01-28", 2018: "02-16", 2019: "02-05", 2020: "01-25",
	2021: "02-12", 2022: "02-01", 2023: "01-22", 2024: "02-10", 2025: "01-29", 2026: "02-17", 2027: "02-06", 2028: "01-26",
	2029: "02-13", 2030: "02-03", 2031: "01-23", 2032: "02-11", 2033: "01-31", 2034: "02-19", 2035: "02-08", 2036: "01-28",
}

// synthHoliday answers a day's activity in percent: the Spring Festival
// (two days before to five after its first day) and Golden Week.
func synthHoliday(d models.Day) int64 {
	if md, ok := synthSpringFestival[int(d.Year)]; ok {
		sf, _ := models.ParseDay(fmt.Sprintf("%04d-%s", int(d.Year), md))
		if off := int(d.Date().Sub(sf.Date()).Hours() / 24); off >= -2 && off <= 5 {
			return 55
		}
	}
	if d.Month == time.October && d.Day <= 7 {
		return 80
	}
	return 100
}

// synthGrowth is the network's size a years before today (a ≤ 0), as a
// share of today's: a logistic rise that flattens some five years ago,
// and a slow growth since.
func synthGrowth(a float64) float64 {
	return max(0.05, 0.12+0.88/(1+math.Exp(-0.8*(a+6)))+0.025*a)
}

var (
	synthMonth   = [12]int64{98, 95, 101, 102, 104, 105, 104, 103, 104, 97, 102, 103}
	synthWeekday = [7]int64{96, 101, 102, 102, 101, 100, 98} // Sunday first
)

// weight is day d's share of the runs (noise in percent).
func (g *synthGen) weight(d models.Day, noise int64) int64 {
	a := d.Date().Sub(g.today.Date()).Hours() / 24 / 365.25
	f := synthGrowth(a) * float64(synthMonth[d.Month-1]*synthWeekday[d.Date().Weekday()]*synthHoliday(d)*noise) / 1e8
	return int64(math.Round(f * 1e6))
}

// writeCSV writes the next n runs as a runs CSV with its header.
func (g *synthGen) writeCSV(out io.Writer, n int) error {
	bw := bufio.NewWriterSize(out, 64<<10)
	cw := csv.NewWriter(bw)
	head := []string{"route", "number", "direction", "departed_at", "arrived_at", "status", "containers", "teu", "cargo", "container_numbers", "empty_containers"}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(head))
	opt := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	num := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	for range n {
		r, ok := g.next()
		if !ok {
			return errors.New("synthetic: no runs left")
		}
		rec[0], rec[1], rec[2], rec[3] = r.Route, r.Number, r.Direction, r.DepartedAt
		rec[4], rec[5], rec[6], rec[7] = opt(r.ArrivedAt), r.Status, num(r.Containers), num(r.TEU)
		rec[8], rec[9], rec[10] = opt(r.Cargo), strings.Join(r.ContainerNumbers, ";"), num(r.EmptyContainers)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// next answers the next run, in order of departure.
func (g *synthGen) next() (models.RunInput, bool) {
	for len(g.queue) == 0 {
		if g.day >= len(g.perDay) {
			return models.RunInput{}, false
		}
		g.queue = g.dayRuns(g.first.Add(g.day), int(g.perDay[g.day]))
		g.day++
	}
	r := g.queue[0]
	g.queue = g.queue[1:]
	return r, true
}

// dayRuns generates day d's n runs, spread over the day.
func (g *synthGen) dayRuns(d models.Day, n int) []models.RunInput {
	start := d.Start(g.loc)
	times := g.dg.spread(n, start, d.Add(1).Start(g.loc))
	// The day's numbers used so far, per route and direction.
	used := make([][2]int, len(synthRoutes))
	span := g.asOf.Sub(g.first.Start(g.loc)).Seconds()
	grown := min(1, max(0, start.Sub(g.first.Start(g.loc)).Seconds()/span))
	out := make([]models.RunInput, 0, n)
	for _, t := range times {
		i := g.pickRoute(t)
		r := &synthRoutes[i]
		dir, k := models.DirOutbound, 0
		// Return loads grow with the network: 70% of the route's share at
		// the start, all of it today.
		if g.rng.IntN(1000) < int(float64(r.inboundPct*10)*(0.7+0.3*grown)) {
			dir, k = models.DirInbound, 1
		}
		var number string
		if r.mode == "road" {
			g.tir[i]++
			number = fmt.Sprintf("TIR-%05d", g.tir[i])
		} else {
			number = fmt.Sprintf("X%d", r.num+2*used[i][k]+k)
			used[i][k]++
		}
		out = append(out, g.run(r, number, dir, t))
	}
	return out
}

// pickRoute draws a route open at t, by weight.
func (g *synthGen) pickRoute(t time.Time) int {
	var sum int64
	for i, r := range synthRoutes {
		if !g.opened[i].After(t) {
			sum += r.weight
		}
	}
	x := g.rng.Int64N(sum)
	last := 0
	for i, r := range synthRoutes {
		if g.opened[i].After(t) {
			continue
		}
		if x < r.weight {
			return i
		}
		x -= r.weight
		last = i
	}
	return last
}

// run builds one run departing at t: its load, cargo and status by the
// clock (before today departed, or arrived when its transit has ended;
// from today planned; a few cancelled).
func (g *synthGen) run(r *synthRoute, number, dir string, t time.Time) models.RunInput {
	containers, teu := 1, 2 // a truck: one 40 ft box or box trailer
	if r.mode != "road" {
		containers, teu = g.dg.load()
	}
	in := models.RunInput{Route: r.code, Number: number, Direction: dir, DepartedAt: g.dg.format(t),
		Containers: demoPtr(containers), TEU: demoPtr(teu), Cargo: g.dg.cargo(r.cargo, dir)}
	if dir == models.DirInbound {
		in.EmptyContainers = demoPtr(demoEmpty(r.code, number, in.DepartedAt, containers))
	}
	planned := !t.Before(g.asOf)
	cancel := synthCancelledPast
	if planned {
		cancel = synthCancelledPlanned
	}
	switch {
	case g.rng.IntN(1000) < cancel:
		in.Status = models.StatusCancelled
	case planned:
		in.Status = models.StatusPlanned
	default:
		days := r.days[0] + g.rng.IntN(r.days[1]-r.days[0]+1)
		arr := t.Add(time.Duration(days*24+g.rng.IntN(24)-12)*time.Hour + time.Duration(g.rng.IntN(60))*time.Minute)
		if arr.After(g.asOf) {
			in.Status = models.StatusDeparted
		} else {
			in.Status = models.StatusArrived
			in.ArrivedAt = demoPtr(g.dg.format(arr))
		}
		// A recent train lists the first boxes scanned onto it.
		if !t.Before(g.recent) && g.boxes+3 < 900_000 {
			owners := []string{"CSQ", "TGH", "MSK", "CMA", "OOL"}
			for range min(3, containers) {
				g.boxes++
				in.ContainerNumbers = append(in.ContainerNumbers, models.ContainerNumber(owners[g.boxes%len(owners)], 'U', 100000+g.boxes))
			}
		}
	}
	return in
}

// routeInputs are the routes as the store creates them.
func (g *synthGen) routeInputs() []models.RouteInput {
	out := make([]models.RouteInput, 0, len(synthRoutes))
	for i, r := range synthRoutes {
		in := models.RouteInput{Code: r.code, Name: r.name, NameZh: demoPtr(r.nameZh), Mode: r.mode, Stops: slices.Clone(r.stops),
			OpenedOn: demoPtr(models.DayOf(g.opened[i], g.loc).String()), Tags: slices.Clone(r.tags)}
		if r.mode != "road" {
			in.PlannedTransitDays = demoPtr(float64(r.days[1]))
		}
		out = append(out, in)
	}
	return out
}

// journeys writes the journey events of the runs that departed since
// recent on routes that cross a border, oldest first, synthEventsBatch runs
// per transaction. Each journey draws from a stream of its run's own.
func (g *synthGen) journeys(ctx context.Context, s *store.Store, w store.Write) (journeys, events int, err error) {
	routes := map[string]*synthRoute{}
	for i := range synthRoutes {
		if synthRoutes[i].hasBorder() {
			routes[synthRoutes[i].code] = &synthRoutes[i]
		}
	}
	from := models.DayOf(g.recent, g.loc)
	counted := true
	f := models.RunFilter{From: &from, Counted: &counted, Limit: store.MaxLimit}
	var runs []models.Run
	for {
		page, err := s.ListRuns(ctx, f)
		if err != nil {
			return 0, 0, err
		}
		for _, r := range page.Items {
			if routes[r.Route] != nil {
				runs = append(runs, r)
			}
		}
		if page.NextCursor == nil {
			break
		}
		f.Cursor = *page.NextCursor
	}
	slices.SortFunc(runs, func(a, b models.Run) int {
		return cmp.Or(a.DepartedAt.Compare(b.DepartedAt), cmp.Compare(a.ID, b.ID))
	})
	for len(runs) > 0 {
		chunk := runs[:min(synthEventsBatch, len(runs))]
		runs = runs[len(chunk):]
		err := s.Tx(ctx, w, func(tx *store.Store) error {
			for _, r := range chunk {
				evs := g.journeyOf(routes[r.Route], r)
				if len(evs) == 0 {
					continue
				}
				if _, err := tx.CreateEvents(ctx, w, r.ID, evs); err != nil {
					return fmt.Errorf("synthetic journey of run %s on %s at %s: %w", r.Number, r.Route, r.DepartedAt.In(g.loc).Format(time.RFC3339), err)
				}
				journeys++
				events += len(evs)
			}
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
	}
	return journeys, events, nil
}

// journeyOf lays out run r's journey with the demo's model: the events at
// each stop until its arrival or, on its way still, until today, with an
// estimate of its arrival. Trucks change no wheels.
func (g *synthGen) journeyOf(route *synthRoute, r models.Run) []models.EventInput {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s", g.seed, r.Route, r.Number, r.DepartedAt.UTC().Format(time.RFC3339))
	rng := rand.New(rand.NewPCG(h.Sum64(), synthJourneySeed))
	var total time.Duration
	if r.ArrivedAt != nil {
		total = r.ArrivedAt.Sub(r.DepartedAt)
	} else {
		d := route.days
		total = time.Duration(d[0]*24+rng.IntN((d[1]-d[0]+1)*24)) * time.Hour
		// Still on its way: expected after today's start.
		if least := g.asOf.Sub(r.DepartedAt) + 6*time.Hour; total < least {
			total = least + time.Duration(rng.IntN(48))*time.Hour
		}
	}
	dg := demoGen{loc: g.loc, asOf: g.asOf}
	evs := dg.journeyEvents(rng, route.stops, r.Direction, r.DepartedAt, total, r.ArrivedAt == nil)
	if route.mode == "road" {
		evs = slices.DeleteFunc(evs, func(e models.EventInput) bool { return e.Type == models.EventGaugeChanged })
	}
	return evs
}

// synthSeaRailPorts are the ports counted daily, with their sea-rail TEU a
// day today (illustrative) and the share of exports.
var synthSeaRailPorts = []struct {
	code        string
	perDay      float64
	exportShare float64
}{{"CNQIN", 5800, 0.53}, {"CNRZH", 2100, 0.56}}

// seaRailCounts are each port's daily sea-rail TEU in both directions, for
// every day from first to yesterday: growing some 7% a year, with the
// demo's months and weekdays, the Spring Festival and noise.
func (g *synthGen) seaRailCounts() []models.SeaRailInput {
	rng := rand.New(rand.NewPCG(g.seed, synthSeaRailSeed))
	month := [12]float64{97, 85, 100, 102, 103, 102, 98, 99, 103, 96, 106, 108}
	weekday := [7]float64{88, 97, 102, 104, 104, 103, 96}
	var out []models.SeaRailInput
	for d := g.first; d.Before(g.today); d = d.Add(1) {
		a := d.Date().Sub(g.today.Date()).Hours() / 24 / 365.25
		f := max(0.3, 1+0.07*a) * month[d.Month-1] / 100 * weekday[d.Date().Weekday()] / 100 * float64(synthHoliday(d)+100) / 200
		var note *string
		if md, ok := synthSpringFestival[int(d.Year)]; ok && d.String()[5:] == md {
			note = demoPtr("Spring Festival (春节)")
		}
		for _, p := range synthSeaRailPorts {
			for _, dir := range []struct {
				name  string
				share float64
			}{{"export", p.exportShare}, {"import", 1 - p.exportShare}} {
				teu := int(math.Round(p.perDay * dir.share * f * float64(94+rng.IntN(13)) / 100))
				out = append(out, models.SeaRailInput{Date: d.String(), Port: p.code, Direction: dir.name, TEU: demoPtr(teu), Note: note})
			}
		}
	}
	return out
}

// targets are a network target of runs for every whole year of the data
// and the current one: 88–98% of the runs of a past year (so that each is
// reached, and its milestone recorded, late in the year), 96–103% of the
// current year's expected runs.
func (g *synthGen) targets() []models.TargetInput {
	rng := rand.New(rand.NewPCG(g.seed, synthTargetSeed))
	year := map[models.Year]int64{}
	var scale float64 // runs per unit of weight
	var wsum int64
	for i, n := range g.perDay {
		d := g.first.Add(i)
		year[d.Year] += n
		wsum += g.weight(d, 100)
	}
	scale = float64(synthSum(g.perDay)) / float64(max(wsum, 1))
	// The current year's days past the planned ones, at the expected rate.
	for d := g.first.Add(len(g.perDay)); d.Year == g.today.Year; d = d.Add(1) {
		year[d.Year] += int64(math.Round(float64(g.weight(d, 100)) * scale))
	}
	var out []models.TargetInput
	for y := g.first.Year; y <= g.today.Year; y++ {
		if (y.First().Before(g.first) && y != g.today.Year) || y < 2000 {
			continue // a part of a year
		}
		pct := int64(88 + rng.IntN(11))
		if y == g.today.Year {
			pct = int64(96 + rng.IntN(8))
		}
		v := synthRound(year[y] * pct / 100)
		out = append(out, models.TargetInput{Year: int(y), Metric: "runs", Value: v, Label: fmt.Sprintf("年度开行%d列", v)})
	}
	return out
}

func synthSum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// synthRound rounds v down to two significant digits (at least 1).
func synthRound(v int64) int64 {
	p := int64(1)
	for v/p >= 100 {
		p *= 10
	}
	return max(1, v/p*p)
}
