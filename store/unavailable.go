package store

import (
	"database/sql/driver"
	"errors"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"net"
	"strings"
)

// Unavailable answers, in words fit for a client, why err means that the
// database cannot serve requests right now (unreachable, shutting down,
// full, read-only, out of connections, locked), and whether it does. Such a
// failure is the database's state, not the request's fault: a retry later
// may succeed. The words never carry the driver's message.
func Unavailable(err error) (reason string, ok bool) {
	if err == nil {
		return "", false
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull:
			return "the database is full", true
		case sqlite3.ErrReadonly:
			return "the database is read-only", true
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return "the database is locked", true
		case sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
			return "the database cannot be read or written", true
		}
		return "", false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100": // disk_full
			return "the database is full", true
		case pe.Code == "53300" || pe.Code == "53400": // too_many_connections, configuration_limit_exceeded
			return "the database has no free connections", true
		case strings.HasPrefix(pe.Code, "53"): // insufficient resources
			return "the database is out of resources", true
		case pe.Code == "25006": // read_only_sql_transaction
			return "the database is read-only", true
		case strings.HasPrefix(pe.Code, "57P"): // admin/crash shutdown, cannot connect now
			return "the database is shutting down or starting", true
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return "the database is unreachable", true
		case strings.HasPrefix(pe.Code, "58"): // system error (I/O)
			return "the database cannot be read or written", true
		}
		return "", false
	}
	var ce *pgconn.ConnectError
	var oe *net.OpError
	if errors.As(err, &ce) || errors.As(err, &oe) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, pgconn.ErrConnClosed) {
		return "the database is unreachable", true
	}
	// pgx marks connection-level failures (a connection lost mid-query)
	// as safe to retry before anything was sent.
	if pgconn.SafeToRetry(err) {
		return "the database is unreachable", true
	}
	return "", false
}

// IsUnavailable reports whether err means the database cannot serve now.
func IsUnavailable(err error) bool {
	_, ok := Unavailable(err)
	return ok
}
