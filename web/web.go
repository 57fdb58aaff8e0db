// Package web holds the dashboard's assets, embedded in the binary so the page
// works on a network with no internet access: index.html, style.css, the ES
// modules under js/ and the vendored chart library under vendor/ (refreshed
// by vendor.sh). docs/DASHBOARD.md describes the page.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// FS is the dashboard's file tree, rooted at the page's top.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has this folder
	}
	return sub
}
