#!/usr/bin/env bash
# Build Telegraf from the Go module proxy with only the plugins the ingest benchmark needs
# (mqtt_consumer input, influxdb_v2 output, json_v2 parser), and cache the binary.
#
# Telegraf's own "custom build" approach: every plugin registers itself from a file
# guarded by `//go:build !custom || <kind>.<name>`, so building cmd/telegraf with the
# `custom` tag plus one tag per wanted plugin leaves all the others out. That keeps
# the build to a fraction of the full Telegraf (minutes instead of an hour on 2 cores).
#
# The binary is cached at
#   ${FOREWARN_CACHE:-~/.cache/forewarn}/telegraf-<version>
# and reused on every later call.
#
# Usage: benchmarks/build-telegraf.sh [--force]
# Prints the path of the cached binary on its last line of stdout.
set -euo pipefail

VERSION="${FOREWARN_TELEGRAF_VERSION:-v1.37.2}"
CACHE="${FOREWARN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/forewarn}"
OUT="$CACHE/telegraf-$VERSION"
BUILD="$CACHE/build/telegraf-$VERSION"
TAGS="custom,inputs.mqtt_consumer,outputs.influxdb_v2,parsers.json_v2,serializers.influx"

if [[ "${1:-}" != "--force" && -x "$OUT" ]]; then
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "build-telegraf: 'go' (1.24+) is required" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

mkdir -p "$BUILD"
cd "$BUILD"
log() { echo "build-telegraf: $*" >&2; }

# A throw-away wrapper module that requires telegraf at $VERSION.
log "resolving github.com/influxdata/telegraf@$VERSION through the Go module proxy"
cat > go.mod <<MOD
module forewarn.local/telegraf-build

go 1.24
MOD
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/influxdata/telegraf/cmd/telegraf"
GO
go get "github.com/influxdata/telegraf@$VERSION" >&2

log "building telegraf $VERSION with tags $TAGS (go build)"
go build -tags "$TAGS" -ldflags "-s -w -X github.com/influxdata/telegraf/internal.Version=${VERSION#v}" \
  -o "$BUILD/telegraf" github.com/influxdata/telegraf/cmd/telegraf >&2

mkdir -p "$CACHE"
mv "$BUILD/telegraf" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "built $OUT ($(du -h "$OUT" | cut -f1))"
echo "$OUT"
