package handlers

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// ParsePublicURL checks a public URL setting: an absolute http or https URL
// with a host (and port), optionally a path the server is published under,
// and no user, query or fragment. It answers the URL without a trailing slash,
// ready to have paths such as /api/v1/summaries.atom appended.
func ParsePublicURL(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", errors.New("not a URL, e.g. https://banlie.example")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("must start with http:// or https://")
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return "", errors.New("must have no user, query or fragment, e.g. https://banlie.example/trains")
	case !validHost(u.Host):
		return "", errors.New("must name a host (a DNS name or an IP address) and an optional port")
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// fallbackHost stands for a request's host when the one it names is not a
// valid host[:port]: it is never echoed into an answer.
const fallbackHost = "localhost"

// publicBase answers the scheme://host[/path] that absolute links in
// answers start with: the configured public URL, or else the request's
// scheme and host (those of X-Forwarded-Proto and X-Forwarded-Host only with
// trustProxy). A host that is not a valid host[:port] is replaced by
// fallbackHost, so a client cannot put arbitrary text into links.
func publicBase(configured string, trustProxy bool) func(c echo.Context) string {
	return func(c echo.Context) string {
		if configured != "" {
			return configured
		}
		req := c.Request()
		scheme, host := "http", req.Host
		if req.TLS != nil {
			scheme = "https"
		}
		if trustProxy {
			if p := strings.ToLower(firstValue(req.Header.Get(echo.HeaderXForwardedProto))); p == "http" || p == "https" {
				scheme = p
			}
			if h := firstValue(req.Header.Get("X-Forwarded-Host")); h != "" {
				host = h
			}
		}
		if !validHost(host) {
			host = fallbackHost
		}
		return scheme + "://" + host
	}
}

// firstValue is the first of a header's comma-separated values (proxies
// append theirs), trimmed.
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// validHost reports whether s is host or host:port, the host a DNS name, an
// IPv4 address or a bracketed IPv6 address, the port 1 to 65535.
func validHost(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		addr, err := netip.ParseAddr(s[1:end])
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return false
		}
		rest := s[end+1:]
		if rest == "" {
			return true
		}
		if !strings.HasPrefix(rest, ":") {
			return false
		}
		return validPort(rest[1:])
	}
	if strings.Contains(s, ":") {
		var err error
		if host, port, err = net.SplitHostPort(s); err != nil || !validPort(port) {
			return false
		}
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr.Is4()
	}
	return validDNSName(host)
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || strings.TrimLeft(p, "0123456789") != "" {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// validDNSName: labels of letters, digits and hyphens, 1 to 63 characters,
// not starting or ending with a hyphen, the last not all digits (that would
// be a malformed IPv4 address); 253 characters at most.
func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	if strings.TrimLeft(labels[len(labels)-1], "0123456789") == "" {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			b := label[i]
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-') {
				return false
			}
		}
	}
	return true
}
