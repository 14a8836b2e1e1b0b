#!/usr/bin/env bash
# Installs DuckDB's Node API, the peer of the Parquet interop tests and benchmarks, into
# BUILD_DIR/interop-node (pinned by tests/interop/package-lock.json; npm ci, no prompts),
# installing nodejs and npm through apt-get first when they are missing. Prints the
# folder to use as NODE_PATH. Re-running is cheap: nothing is done when the installed
# lock file matches.
# usage: tests/interop/setup.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/interop/setup.sh BUILD_DIR}
need=()
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "interop: installing ${need[*]} ..." >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${need[@]}" >&2
fi
dir="$build/interop-node"
if [ ! -d "$dir/node_modules/@duckdb/node-api" ] ||
	! cmp -s tests/interop/package-lock.json "$dir/package-lock.json"; then
	echo "interop: installing the npm packages of tests/interop/package-lock.json into $dir ..." >&2
	rm -rf "$dir"
	mkdir -p "$dir"
	cp tests/interop/package.json tests/interop/package-lock.json "$dir"/
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
(cd "$dir/node_modules" && pwd)
