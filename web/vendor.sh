#!/usr/bin/env bash
# Re-downloads the dashboard's chart library from the npm registry and copies
# its built file and licence into web/static/vendor/uplot/. No CDN is used at
# run time: the files are embedded in the binary (web/web.go).
#
#   bash web/vendor.sh            # the pinned version below
#   UPLOT_VERSION=1.6.32 bash web/vendor.sh
#
# Needs npm (it only runs `npm pack`, which downloads the package tarball
# into a temporary folder; nothing is installed).
set -euo pipefail

PKG=uplot
VERSION="${UPLOT_VERSION:-1.6.32}"
# sha256 of the npm tarball of the pinned version; checked when it is the one fetched.
PINNED_SHA256=4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d

here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/static/vendor/uplot"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null)
tgz="$tmp/$PKG-$VERSION.tgz"
if [ "$VERSION" = "1.6.32" ]; then
  echo "$PINNED_SHA256  $tgz" | sha256sum -c --quiet -
fi
tar -xzf "$tgz" -C "$tmp"

mkdir -p "$dest"
cp "$tmp/package/dist/uPlot.iife.min.js" "$dest/uPlot.iife.min.js"
cp "$tmp/package/dist/uPlot.min.css" "$dest/uPlot.min.css"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
printf '%s@%s from the npm registry (npm pack), files dist/uPlot.iife.min.js, dist/uPlot.min.css, LICENSE (MIT).\nRefresh with: bash web/vendor.sh\n' "$PKG" "$VERSION" > "$dest/VERSION"
ls -l "$dest"
