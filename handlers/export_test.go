package handlers

import "github.com/labstack/echo/v4"

// Policy is an endpoint's declared policy, as the tests outside the package
// see it.
type Policy struct {
	Method, Path string
	// Access is anyone, readers, operators or admins.
	Access string
	// Idempotent: the endpoint honours Idempotency-Key.
	Idempotent bool
	// Query are the query parameters the endpoint takes, sorted (any other
	// is refused), unless OwnQuery: then none is refused.
	Query    []string
	OwnQuery bool
}

// NewWithPolicies is New, also answering the policies of the endpoints it
// registered.
func NewWithPolicies(cfg Config) (*echo.Echo, []Policy) {
	e, eps := newServer(cfg)
	query, err := queryParams(eps, OpenAPI)
	if err != nil {
		panic(err) // newServer has checked them
	}
	ps := make([]Policy, len(eps))
	for i, ep := range eps {
		ps[i] = Policy{Method: ep.method, Path: ep.path, Access: ep.access.String(), Idempotent: ep.handling&idempotent != 0,
			Query: query[routeKey{ep.method, ep.path}], OwnQuery: ep.handling&ownQuery != 0}
	}
	return e, ps
}
