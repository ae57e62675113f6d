#!/usr/bin/env bash
# Build InfluxDB OSS 2.x (`influxd`) from source and cache the binary.
#
# No registry this machine reaches ships influxd, so it is built from the Go
# module proxy (influxdb + flux Go code) and crates.io (flux's Rust part,
# libflux). The finished binary is cached at
#   ${FOREWARN_CACHE:-~/.cache/forewarn}/influxd-<version>
# and reused on every later call; a cold build takes tens of minutes.
#
# Usage: services/build-influxd.sh [--force]
# Prints the path of the cached binary on its last line of stdout.
set -euo pipefail

VERSION="${FOREWARN_INFLUXD_VERSION:-v2.7.12}"
CACHE="${FOREWARN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/forewarn}"
OUT="$CACHE/influxd-$VERSION"
BUILD="$CACHE/build/influxd-$VERSION"

if [[ "${1:-}" != "--force" && -x "$OUT" ]]; then
  echo "$OUT"
  exit 0
fi

# Toolchains installed by rustup and the Go tarball may not be on a bare PATH (CI, cron).
for dir in "$HOME/.cargo/bin" /usr/local/go/bin "$HOME/go/bin"; do
  [[ -d "$dir" && ":$PATH:" != *":$dir:"* ]] && PATH="$dir:$PATH"
done
export PATH

need() { command -v "$1" >/dev/null 2>&1 || { echo "build-influxd: '$1' is required: $2" >&2; exit 1; }; }
need go "install Go (1.22+)"
need cargo "install Rust with rustup"
need pkg-config "apt-get install pkg-config"
need cc "apt-get install gcc"

export GOTOOLCHAIN=local CGO_ENABLED=1 GOFLAGS="-mod=mod -buildvcs=false"
# A build cache of its own: cgo link flags from pkg-config are cached with the package.
export GOCACHE="$BUILD/go-build-cache"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-stable}"

mkdir -p "$BUILD"
cd "$BUILD"
log() { echo "build-influxd: $*" >&2; }

# 1. A throw-away wrapper module that requires influxdb at $VERSION.
log "resolving github.com/influxdata/influxdb/v2@$VERSION through the Go module proxy"
cat > go.mod <<MOD
module forewarn.local/influxd-build

go 1.22
MOD
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/influxdata/influxdb/v2/cmd/influxd"
GO
go get "github.com/influxdata/influxdb/v2@$VERSION" >&2
go mod download all >&2 || true

# 2. libflux (Rust) built with cargo from a writable copy of the flux module.
FLUX_VERSION="$(go list -m -f '{{.Version}}' github.com/influxdata/flux)"
FLUX_DIR="$(go list -m -f '{{.Dir}}' github.com/influxdata/flux)"
FLUX_SRC="$BUILD/flux-$FLUX_VERSION"
LIBFLUX="$FLUX_SRC/libflux"
if [[ ! -f "$LIBFLUX/target/release/libflux.a" ]]; then
  log "building libflux $FLUX_VERSION with cargo (toolchain $RUSTUP_TOOLCHAIN)"
  # libflux's build script compiles the Flux stdlib at ../../stdlib: copy both.
  mkdir -p "$FLUX_SRC"
  rm -rf "$LIBFLUX" "$FLUX_SRC/stdlib"
  cp -r "$FLUX_DIR/libflux" "$FLUX_DIR/stdlib" "$FLUX_SRC/"
  chmod -R u+w "$FLUX_SRC"
  # flux denies all warnings; a newer rustc has new lints. Cap them, and skip
  # LTO/size optimisation which only slow the build down.
  (
    cd "$LIBFLUX"
    RUSTFLAGS="--cap-lints=warn" \
    CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=2 \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo build --release --locked -p flux >&2
  )
fi
# Link libflux statically: without the shared library nothing can pick it up.
rm -f "$LIBFLUX/target/release/libflux.so"

# 3. A pkg-config file so cgo (`#cgo pkg-config: flux`) finds libflux. It names
#    the static archive by path, so influxd needs no libflux.so at run time.
mkdir -p "$BUILD/pkgconfig"
cat > "$BUILD/pkgconfig/flux.pc" <<PC
Name: flux
Version: ${FLUX_VERSION#v}
Description: Library for the InfluxData Flux engine (built by Forewarn)
Cflags: -I$LIBFLUX/include
Libs: $LIBFLUX/target/release/libflux.a -ldl -lpthread -lm
PC
export PKG_CONFIG_PATH="$BUILD/pkgconfig"

# 4. influxd itself. No `assets` tag: that would download the web UI.
log "building influxd $VERSION (go build)"
go build -tags sqlite_foreign_keys,sqlite_json -ldflags "-s -w -X main.version=${VERSION#v}" \
  -o "$BUILD/influxd" github.com/influxdata/influxdb/v2/cmd/influxd >&2

mkdir -p "$CACHE"
mv "$BUILD/influxd" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "built $OUT ($(du -h "$OUT" | cut -f1))"
echo "$OUT"
