package handlers

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"banlie/models"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// access is who may call an endpoint.
type access int

const (
	_ access = iota // unset: New refuses an endpoint that does not say
	// anyone may call it, even when reads are private, and its tokens are
	// not looked at (a bad one is not refused): probes must answer whatever
	// the token setup, the API document stays readable, and the dashboard's
	// files carry no data.
	anyone
	// readers: anyone, or a token of any role (viewer or higher) when reads
	// are private (Config.PrivateReads).
	readers
	// operators: a token with role operator or admin.
	operators
	// admins: a token with role admin, whatever the read setting.
	admins
)

func (a access) String() string {
	switch a {
	case anyone:
		return "anyone"
	case readers:
		return "readers"
	case operators:
		return "operators"
	case admins:
		return "admins"
	}
	return fmt.Sprintf("access(%d)", int(a))
}

// need is the role a request must carry, "" for none.
func (a access) need(privateReads bool) string {
	switch a {
	case readers:
		if privateReads {
			return models.RoleViewer
		}
	case operators:
		return models.RoleOperator
	case admins:
		return models.RoleAdmin
	}
	return ""
}

// handling says, as flags, how an endpoint's requests and answers are treated.
type handling uint

const (
	// tagged: a successful answer carries a weak ETag (a hash of the body)
	// with Cache-Control: no-cache, and a request whose If-None-Match names
	// it answers 304 with no body (conditionalGET).
	tagged handling = 1 << iota
	// kept: the answer depends only on stored data and the reporting day
	// (the reads dashboards poll), so it is kept per data version
	// (store.Store.DataVersion) and day: a poll between writes costs one
	// small query instead of recomputing the answer.
	kept
	// perBase: kept per public base (see publicBase) too: the answer's
	// links start with it, and it may come from the request's host, which
	// must never reach another client's answer.
	perBase
	// countedLive: with counted or overdue in the query, the answer depends on the
	// clock to the second, not the day: it is not kept.
	countedLive
	// gzipped: the answer is compressed for clients that accept it.
	gzipped
	// idempotent: the request honours Idempotency-Key (idempotency).
	idempotent
	// ownQuery: the query string is the page's own (the dashboard's
	// ?lang= and ?refresh=), not the API's: the endpoint is not in the API
	// document, and no query parameter is refused (refuseUnknownQuery).
	ownQuery
	// ownCredential: the path carries the request's credential (an
	// unsubscribe link's token): the one kind of write open to anyone.
	ownCredential
)

// endpoint is one route the server answers, with its policies.
type endpoint struct {
	method, path string
	handler      echo.HandlerFunc
	access       access
	handling     handling
}

// endpoints is every route the server answers, and the one place that
// says, for each, who may call it and how its answers are treated: New
// registers exactly these, and the middlewares read each request's policy
// from here (see endpointTable), so an endpoint cannot be added without
// its policy. HEAD is answered wherever GET is (headAsGet), with the GET's
// policy.
func endpoints(cfg Config, base func(echo.Context) string, metrics http.Handler, streamsOpen prometheus.Gauge) []endpoint {
	const GET, POST, PATCH, DELETE = http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	const (
		// read: a GET answer, tagged and compressed.
		read = tagged | gzipped
		// poll: a read that dashboards poll, kept until the data or the
		// day changes.
		poll = read | kept
		// write: answered as written: a few hundred bytes, and readying a
		// compressor costs tens of µs even when the answer ends up too
		// short to compress. POSTs honour Idempotency-Key as well.
		write handling = 0
	)
	routes := routeHandlers{cfg.Store}
	runs := runHandlers{cfg.Store}
	csv := csvHandlers{cfg.Store, cfg.Log, parseImportLimit(cfg.ImportLimit), cfg.ImportStall, &atomic.Int64{}}
	seaRail := seaRailHandlers{cfg.Store}
	ports := portHandlers{cfg.Store}
	totals := totalsHandlers{cfg.Store}
	targets := targetHandlers{cfg.Store}
	summaries := summaryHandlers{cfg.Store, base}
	audit := auditHandlers{cfg.Store}
	journeys := journeyHandlers{cfg.Store}
	containers := containerHandlers{cfg.Store}
	webhooks := webhookHandlers{cfg.Store, cfg.WebhookAllowPrivate}
	subscribers := subscriberHandlers{cfg.Store}
	streams := &streamHandlers{st: cfg.Store, log: cfg.Log, max: int64(cmp.Or(cfg.MaxStreams, DefaultMaxStreams)),
		heartbeat: cmp.Or(cfg.StreamHeartbeat, DefaultStreamHeartbeat), poll: cmp.Or(cfg.StreamPoll, DefaultStreamPoll),
		stopping: cfg.Stopping, gauge: streamsOpen}

	t := []endpoint{
		{GET, "/healthz", healthHandler, anyone, read},
		{GET, "/readyz", readyHandler(cfg.Ready, cfg.Log), anyone, read},
		// Changes with each scrape (no ETag); the Prometheus handler
		// compresses its own answers.
		{GET, "/metrics", echo.WrapHandler(metrics), readers, 0},
		{GET, "/api/v1/openapi.json", openAPIHandler, anyone, read},
		// Open for as long as the client listens: no ETag, no compression,
		// no answer kept; the write timeout is lifted while it sends.
		{GET, "/api/v1/stream", streams.stream, readers, 0},

		{POST, "/api/v1/routes", routes.create, admins, write | idempotent},
		{GET, "/api/v1/routes", routes.list, readers, poll},
		{GET, "/api/v1/routes/:code", routes.get, readers, poll},
		{PATCH, "/api/v1/routes/:code", routes.update, admins, write},
		{DELETE, "/api/v1/routes/:code", routes.delete, admins, write},
		{GET, "/api/v1/routes/:code/transit", journeys.transit, readers, poll},

		{POST, "/api/v1/runs", runs.create, operators, write | idempotent},
		{GET, "/api/v1/runs", runs.list, readers, poll | countedLive},
		{GET, "/api/v1/runs/:id", runs.get, readers, poll},
		{PATCH, "/api/v1/runs/:id", runs.update, operators, write},
		{DELETE, "/api/v1/runs/:id", runs.delete, operators, write},
		// Static paths win over /runs/:id in Echo's router, whatever the
		// order of registration.
		{POST, importPath, csv.importRuns, operators, write | idempotent},
		// Streamed: it may be large, and is downloaded, not polled (no ETag).
		{GET, "/api/v1/runs/export", csv.exportRuns, readers, gzipped},
		// Depends on the clock (a departure passing makes a run in
		// transit), so it is not kept.
		{GET, "/api/v1/runs/in-transit", journeys.inTransit, readers, read},
		{POST, "/api/v1/runs/:id/events", journeys.create, operators, write | idempotent},
		{GET, "/api/v1/runs/:id/events", journeys.list, readers, poll},
		{GET, "/api/v1/runs/:id/events/:event_id", journeys.get, readers, poll},
		{DELETE, "/api/v1/runs/:id/events/:event_id", journeys.delete, operators, write},
		{GET, "/api/v1/containers/:number", containers.get, readers, poll},

		{POST, "/api/v1/sea-rail-counts", seaRail.create, operators, write | idempotent},
		{GET, "/api/v1/sea-rail-counts", seaRail.list, readers, poll},
		{GET, "/api/v1/sea-rail-counts/:id", seaRail.get, readers, poll},
		{PATCH, "/api/v1/sea-rail-counts/:id", seaRail.update, operators, write},
		{DELETE, "/api/v1/sea-rail-counts/:id", seaRail.delete, operators, write},

		{POST, "/api/v1/ports", ports.create, admins, write | idempotent},
		{GET, "/api/v1/ports", ports.list, readers, poll},
		{GET, "/api/v1/ports/:code", ports.get, readers, poll},
		{PATCH, "/api/v1/ports/:code", ports.update, admins, write},
		{DELETE, "/api/v1/ports/:code", ports.delete, admins, write},
		{POST, "/api/v1/ports/:code/merge", ports.merge, admins, write | idempotent},

		{GET, "/api/v1/totals/monthly", totals.monthly, readers, poll},
		{GET, "/api/v1/totals/yearly", totals.yearly, readers, poll},

		{POST, "/api/v1/targets", targets.create, admins, write | idempotent},
		{GET, "/api/v1/targets", targets.list, readers, poll},
		{GET, "/api/v1/targets/:id", targets.get, readers, poll},
		{DELETE, "/api/v1/targets/:id", targets.delete, admins, write},
		{GET, "/api/v1/targets/:id/progress", targets.progress, readers, poll},
		{GET, "/api/v1/milestones", targets.milestones, readers, poll},

		{GET, "/api/v1/summaries", summaries.list, readers, poll},
		{GET, "/api/v1/summaries.atom", summaries.atom, readers, poll | perBase},
		{GET, "/api/v1/summaries/:period", summaries.get, readers, poll},
		{GET, "/api/v1/summaries/:period/revisions", summaries.revisions, readers, poll},
		{POST, "/api/v1/summaries/:period/generate", summaries.generate, admins, write | idempotent},

		{GET, "/api/v1/audit", audit.list, admins, read},

		// Admin reads that change with every delivery: tagged, never kept.
		{POST, "/api/v1/webhooks", webhooks.create, admins, write | idempotent},
		{GET, "/api/v1/webhooks", webhooks.list, admins, read},
		{GET, "/api/v1/webhooks/:id", webhooks.get, admins, read},
		{PATCH, "/api/v1/webhooks/:id", webhooks.update, admins, write},
		{DELETE, "/api/v1/webhooks/:id", webhooks.delete, admins, write},
		{POST, "/api/v1/webhooks/:id/rotate-secret", webhooks.rotateSecret, admins, write},
		{GET, "/api/v1/webhooks/:id/deliveries", webhooks.deliveries, admins, read},
		{POST, "/api/v1/webhooks/:id/deliveries/:delivery_id/retry", webhooks.retry, admins, write},

		{POST, "/api/v1/subscribers", subscribers.create, admins, write | idempotent},
		{GET, "/api/v1/subscribers", subscribers.list, admins, read},
		{GET, "/api/v1/subscribers/:id", subscribers.get, admins, read},
		{PATCH, "/api/v1/subscribers/:id", subscribers.update, admins, write},
		{DELETE, "/api/v1/subscribers/:id", subscribers.delete, admins, write},
		// The links in the messages: the token is the credential. Answered
		// as written (an unsubscribe is a change, never a cached answer).
		{GET, "/api/v1/unsubscribe/:token", subscribers.unsubscribe, anyone, write | ownCredential},
		{POST, "/api/v1/unsubscribe/:token", subscribers.unsubscribe, anyone, write | ownCredential},
	}
	if cfg.Jobs != nil {
		jobs := jobHandlers{cfg.Store, cfg.Jobs}
		t = append(t,
			endpoint{GET, "/api/v1/jobs", jobs.list, readers, read},
			endpoint{POST, "/api/v1/jobs/:name/run", jobs.run, admins, write | idempotent},
			endpoint{GET, "/api/v1/jobs/:name/runs", jobs.runs, readers, read},
			endpoint{GET, "/api/v1/jobs/:name/runs/:id", jobs.getRun, readers, read},
		)
	}
	t = append(t,
		endpoint{GET, "/api/v1/meta", metaHandler(cfg.Store, cfg.PrivateReads), readers, read},
		endpoint{GET, "/api/v1/network", networkHandler(cfg.Store), readers, poll},
	)
	if cfg.Web != nil {
		// The dashboard: not in the API document; its addresses carry its
		// own query.
		const page = read | ownQuery
		t = append(t,
			endpoint{GET, "/", indexHandler(cfg.Web, cfg.Store), anyone, page},
			endpoint{GET, "/index.html", indexHandler(cfg.Web, cfg.Store), anyone, page},
			// Browsers ask for it on every page, the summaries' included: no icon.
			endpoint{GET, "/favicon.ico", noIconHandler, anyone, page},
			// The dashboard's files, as e.StaticFS("/", cfg.Web) registers
			// them (the router leaves the path escaped). Under /api/ it only
			// ever answers 404: see endpointTable.of.
			endpoint{GET, "/*", echo.StaticDirectoryHandler(cfg.Web, true), anyone, page},
		)
	}
	return t
}

// checkEndpoints refuses a table that contradicts itself: an endpoint
// without its access, a route twice, flags that mean nothing for its
// method, or a path whose endpoints disagree on whether tokens are looked at.
func checkEndpoints(es []endpoint) error {
	seen := map[routeKey]bool{}
	open := map[string]bool{} // by path: whether its endpoints are for anyone
	for _, e := range es {
		name := e.method + " " + e.path
		k := routeKey{e.method, e.path}
		switch {
		case seen[k]:
			return fmt.Errorf("%s is listed twice", name)
		case e.handler == nil:
			return fmt.Errorf("%s has no handler", name)
		case e.access < anyone || e.access > admins:
			return fmt.Errorf("%s does not say who may call it", name)
		case e.access == anyone && e.method != http.MethodGet && e.handling&ownCredential == 0:
			return fmt.Errorf("%s is a write open to anyone", name)
		case e.handling&(tagged|kept|perBase|countedLive|gzipped) != 0 && e.method != http.MethodGet:
			return fmt.Errorf("%s: only GET answers are tagged, kept or compressed", name)
		case e.handling&idempotent != 0 && e.method != http.MethodPost:
			return fmt.Errorf("%s: only POST honours Idempotency-Key", name)
		case e.handling&kept != 0 && e.handling&tagged == 0:
			return fmt.Errorf("%s is kept without an ETag", name)
		case e.handling&(perBase|countedLive) != 0 && e.handling&kept == 0:
			return fmt.Errorf("%s qualifies how it is kept, but is not kept", name)
		case e.handling&ownCredential != 0 && (e.access != anyone || !strings.HasPrefix(e.path, unsubscribePrefix)):
			return fmt.Errorf("%s: only the unsubscribe links carry their own credential", name)
		case e.handling&ownQuery != 0 && (e.method != http.MethodGet || strings.HasPrefix(e.path, "/api/")):
			return fmt.Errorf("%s: only the dashboard's pages keep their own query; the API's parameters are its document's", name)
		}
		if o, ok := open[e.path]; ok && o != (e.access == anyone) {
			return fmt.Errorf("%s: the endpoints of %s disagree on whether tokens are looked at", name, e.path)
		}
		seen[k], open[e.path] = true, e.access == anyone
	}
	return nil
}

type routeKey struct{ method, path string }

// endpointTable finds the policy of the route a request was routed to; the
// middlewares run after routing, so c.Path() is the matched pattern.
type endpointTable struct {
	routes map[routeKey]*endpoint
	open   map[string]bool // by path: whether its endpoints are for anyone
	// query: the query parameters each endpoint takes, sorted, as the API
	// document declares them (see queryParams); none for ownQuery ones.
	query map[routeKey][]string
}

// newEndpointTable checks the table es and reads, from the API document
// doc, the query parameters of each endpoint.
func newEndpointTable(es []endpoint, doc []byte) (*endpointTable, error) {
	if err := checkEndpoints(es); err != nil {
		return nil, err
	}
	query, err := queryParams(es, doc)
	if err != nil {
		return nil, err
	}
	t := &endpointTable{routes: map[routeKey]*endpoint{}, open: map[string]bool{}, query: query}
	for i := range es {
		e := &es[i]
		t.routes[routeKey{e.method, e.path}] = e
		t.open[e.path] = e.access == anyone
	}
	return t, nil
}

func underAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

// of answers the endpoint a request was routed to, or nil when there is
// none: Echo's 404 and 405 (a path without that method, OPTIONS included),
// and the dashboard's catch-all under /api/, where there is no such
// resource at all.
func (t *endpointTable) of(c echo.Context) *endpoint {
	p := c.Path()
	if p == "/*" && underAPI(c) {
		return nil
	}
	return t.routes[routeKey{c.Request().Method, p}]
}

// readsTokens reports whether a request's Authorization is looked at. A
// request without an endpoint is treated as the endpoints of its path are
// (a 405 on /healthz ignores tokens, as GET /healthz does); on no known
// path, tokens are looked at under /api/ only.
func (t *endpointTable) readsTokens(c echo.Context) bool {
	if e := t.of(c); e != nil {
		return e.access != anyone
	}
	api := underAPI(c)
	if open, ok := t.open[c.Path()]; ok && !(api && c.Path() == "/*") {
		return !open
	}
	return api
}

// handlingOf is the handling of a request's endpoint. A request without
// one is handled as any of its method: a GET's answer (an error) is tagged
// and compressed, and a POST honours Idempotency-Key (a retry gets the
// same 404 or 405, replayed).
func (t *endpointTable) handlingOf(c echo.Context) handling {
	if e := t.of(c); e != nil {
		return e.handling
	}
	switch c.Request().Method {
	case http.MethodGet:
		return tagged | gzipped
	case http.MethodPost:
		return idempotent
	}
	return 0
}
