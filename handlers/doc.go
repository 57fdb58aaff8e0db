// Package handlers is banlie's HTTP API on Echo: request types that decode and
// validate, calls into models, and one error handler that turns coded errors
// into problem+json answers (RFC 9457). It holds no SQL.
package handlers
