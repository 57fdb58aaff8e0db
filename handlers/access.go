package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

const principalKey = "banlie.principal"

// principalOf answers the request's authenticated principal, or nil.
func principalOf(c echo.Context) *models.Principal {
	p, _ := c.Get(principalKey).(*models.Principal)
	return p
}

const authErrKey = "banlie.auth_error"

// authenticate reads a Bearer token, if any. A token that is malformed,
// unknown or revoked is remembered as an error that refuseBadToken answers
// (401) once the rate limiter has counted the request against its address.
// Endpoints open to anyone do not look at tokens (see endpointTable.readsTokens).
func authenticate(st *store.Store, log *slog.Logger, table *endpointTable) echo.MiddlewareFunc {
	var mu sync.Mutex
	touched := map[int64]time.Time{}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			actor := models.Actor{Name: "anonymous", RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
			h := req.Header.Get(echo.HeaderAuthorization)
			if h != "" && table.readsTokens(c) {
				scheme, secret, ok := strings.Cut(h, " ")
				if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
					c.Set(authErrKey, unauthorized("the Authorization header must be: Bearer <token>"))
					return next(c)
				}
				p, err := st.Authenticate(req.Context(), strings.TrimSpace(secret))
				if errors.Is(err, store.ErrUnauthenticated) {
					c.Set(authErrKey, unauthorized("the token is unknown or revoked"))
					return next(c)
				}
				if err != nil {
					return err
				}
				c.Set(principalKey, &p)
				actor.Name = p.Name
				// last_used_at, at most once a minute per token, best effort:
				// a read never fails or waits because of it.
				now := st.Now()
				mu.Lock()
				stale := now.Sub(touched[p.ID]) > time.Minute
				mu.Unlock()
				if stale {
					ok, err := st.TouchToken(req.Context(), p.ID)
					if err != nil {
						log.Warn("recording a token's use", "token", p.Name, "err", err)
					}
					if ok {
						mu.Lock()
						touched[p.ID] = now
						mu.Unlock()
					}
				}
			}
			c.Set(actorKey, actor)
			return next(c)
		}
	}
}

// Where authenticate and idempotency leave the request's actor and
// Idempotency-Key claim for the handlers.
const (
	actorKey = "banlie.actor"
	claimKey = "banlie.idempotency_claim"
)

// writeOf is what a handler tells the store of its write: the request's
// actor, its Idempotency-Key claim (if any), and now.
func writeOf(c echo.Context, st *store.Store) store.Write {
	actor, _ := c.Get(actorKey).(models.Actor)
	claim, _ := c.Get(claimKey).(*store.IdemClaim)
	return st.WriteBy(actor, claim)
}

// refuseBadToken answers 401 for a token authenticate could not accept.
func refuseBadToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err, _ := c.Get(authErrKey).(error); err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="banlie", error="invalid_token"`)
			return err
		}
		return next(c)
	}
}

func unauthorized(detail string) error {
	return &echo.HTTPError{Code: http.StatusUnauthorized, Message: detail}
}

// authorize enforces the role the request's endpoint needs (its access in
// the endpoint table).
func authorize(privateReads bool, table *endpointTable) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ep := table.of(c)
			if ep == nil {
				// No such resource or method: Echo answers 404 or 405 (with
				// Allow); a role has nothing to guard there.
				return next(c)
			}
			need := ep.access.need(privateReads)
			if need == "" {
				return next(c)
			}
			p := principalOf(c)
			if p == nil {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="banlie"`)
				return unauthorized("this needs a token with role " + need + " or higher: Authorization: Bearer <token>")
			}
			if models.RoleRank(p.Role) < models.RoleRank(need) {
				return &echo.HTTPError{Code: http.StatusForbidden, Message: "this needs role " + need + "; token " + p.Name + " has role " + p.Role}
			}
			return next(c)
		}
	}
}

// rateLimit allows each token (or, without one, each client address) r
// requests a second with bursts of 2r; 0 turns it off.
func rateLimit(r float64, refused prometheus.Counter) echo.MiddlewareFunc {
	if r <= 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	st := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(r), Burst: int(math.Ceil(2 * r)), ExpiresIn: 3 * time.Minute,
	})
	retry := strconv.Itoa(int(math.Max(1, math.Ceil(1/r))))
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		// Every request counts, probes and the dashboard's files included
		// (a page load fetches about twenty files: well within a burst).
		Store: st,
		// A valid token has its own allowance; everything else, bad tokens
		// included, counts against the client's address.
		IdentifierExtractor: func(c echo.Context) (string, error) {
			if p := principalOf(c); p != nil {
				return "t:" + strconv.FormatInt(p.ID, 10), nil
			}
			return "ip:" + c.RealIP(), nil
		},
		ErrorHandler: func(c echo.Context, err error) error { return err },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			refused.Inc()
			c.Response().Header().Set("Retry-After", retry)
			return &echo.HTTPError{Code: http.StatusTooManyRequests, Message: "too many requests; retry after " + retry + " s"}
		},
	})
}

// idemLocks serialises requests that share an Idempotency-Key in this process.
type idemLocks struct {
	mu    sync.Mutex
	locks map[string]*idemLock
}

type idemLock struct {
	sync.Mutex
	users int
}

func (l *idemLocks) lock(k string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*idemLock{}
	}
	m := l.locks[k]
	if m == nil {
		m = &idemLock{}
		l.locks[k] = m
	}
	m.users++
	l.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		l.mu.Lock()
		if m.users--; m.users == 0 {
			delete(l.locks, k)
		}
		l.mu.Unlock()
	}
}

type captureWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (an import
// moves its deadlines on).
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// idempotency honours Idempotency-Key on the endpoints that say so (every
// POST; see endpointTable.handlingOf): the same key and body within
// 24 hours answers the first answer again and writes nothing; a concurrent
// retry waits for the first; another body with the key is a 422. 5xx answers
// are not kept, so a retry can still succeed.
func idempotency(st *store.Store, replays prometheus.Counter, table *endpointTable, stall time.Duration) echo.MiddlewareFunc {
	var locks idemLocks
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key, has := req.Header.Get("Idempotency-Key"), req.Header.Values("Idempotency-Key") != nil
			if !has || table.handlingOf(c)&idempotent == 0 {
				return next(c)
			}
			if len(key) < 1 || len(key) > 255 || strings.IndexFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
				return models.BadField("Idempotency-Key", models.CodeInvalidFormat, models.Params{"format": "printable_ascii", "max": 255},
					"Idempotency-Key must be 1 to 255 printable ASCII characters")
			}
			// Hashed as it is read; a large body (an import's CSV) is kept
			// in a temporary file, not in memory.
			sum := sha256.New()
			io.WriteString(sum, req.Method+" "+req.URL.RequestURI()+"\n")
			body, err := bufferBody(c, sum, stall)
			if err != nil {
				return err // over the body limit: 413; the client's: 400
			}
			defer body.Close()
			req.Body = body
			hash := hex.EncodeToString(sum.Sum(nil))
			scope := ""
			if p := principalOf(c); p != nil {
				scope = p.Name
			}
			unlock := locks.lock(scope + "\x00" + key)
			defer unlock()

			ctx := req.Context()
			prev, found, err := waitForAnswer(c, st, scope, key, 5*time.Second)
			if err != nil {
				return err
			}
			if found {
				replays.Inc()
				return replay(c, prev, hash)
			}

			claim := &store.IdemClaim{Scope: scope, Key: key, Hash: hash}
			c.Set(claimKey, claim)
			cw := &captureWriter{ResponseWriter: c.Response().Writer}
			c.Response().Writer = cw
			if err := next(c); err != nil {
				if errors.Is(err, models.ErrIdempotencyBusy) {
					// Another instance recorded the key first: its answer is
					// the one to give, once it has one.
					c.Response().Writer = cw.ResponseWriter
					prev, found, werr := waitForAnswer(c, st, scope, key, 30*time.Second)
					if werr != nil {
						return werr
					}
					if found {
						replays.Inc()
						return replay(c, prev, hash)
					}
					return err
				}
				c.Error(err)
			}
			res := c.Response()
			if res.Status >= 500 {
				// Not kept: a retry can still succeed.
				if claim.Claimed() {
					return st.DropIdempotencyKey(context.WithoutCancel(ctx), scope, key, hash)
				}
				return nil
			}
			ans := store.IdemAnswer{Hash: hash, Status: res.Status, Location: res.Header().Get(echo.HeaderLocation),
				ContentType: res.Header().Get(echo.HeaderContentType), Body: cw.buf.Bytes()}
			return st.SaveIdempotentAnswer(context.WithoutCancel(ctx), scope, key, ans)
		}
	}
}

// replay answers a key's stored answer again, or says why it cannot.
func replay(c echo.Context, prev store.IdemAnswer, hash string) error {
	if prev.Hash != hash {
		return &models.Error{Code: models.EINVALID, Message: "this Idempotency-Key was used with another request",
			Fields: []models.FieldError{models.NewFieldError("Idempotency-Key", models.CodeConflict, models.Params{"resource": "idempotency_key", "hours": 24},
				"was already used, within 24 hours, for a different request; use a new key")}}
	}
	if prev.Status == 0 {
		return models.Errorf(models.ECONFLICT, "the first request with this Idempotency-Key is still running or was interrupted after it was written; look the resource up instead of retrying")
	}
	h := c.Response().Header()
	if prev.Location != "" {
		h.Set(echo.HeaderLocation, prev.Location)
	}
	h.Set("Idempotent-Replayed", "true")
	return c.Blob(prev.Status, prev.ContentType, prev.Body)
}

// waitForAnswer reads a key's record (false when there is none); while another instance is still
// answering it (recorded, no answer yet), it waits a little for the answer.
func waitForAnswer(c echo.Context, st *store.Store, scope, key string, wait time.Duration) (store.IdemAnswer, bool, error) {
	deadline := time.Now().Add(wait)
	for {
		a, found, err := st.GetIdempotency(c.Request().Context(), scope, key)
		if err != nil || !found || a.Status != 0 || time.Now().After(deadline) {
			return a, found, err
		}
		select {
		case <-c.Request().Context().Done():
			return store.IdemAnswer{}, false, c.Request().Context().Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
