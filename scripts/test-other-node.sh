#!/bin/bash
# scripts/test-other-node.sh MAJOR [TEST FILE...]: the suite on another Node.js major version.
# Node from scripts/node-version.sh; a copy of this tree (what git tracks, as committed or edited)
# in a temporary directory with ../shared beside it, as the tests expect; `npm ci` there with that
# Node first on PATH and npm_config_nodedir set, so node-pty and better-sqlite3 are compiled for
# it; then tap over the given files (default: every test file but test/docker.test.ts, whose image
# carries its own Node). tap's closing summary line is the last thing printed.
set -uo pipefail
major=${1:?usage: test-other-node.sh MAJOR [FILES...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
nodedir=$(sh "$root/scripts/node-version.sh" "$major") || { echo "# { total: 0, pass: 0, fail: 1 } (no Node $major)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/main"
ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$work/main"
cd "$work/main"
export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir"
echo "== Node $(node --version) ($nodedir)"
if ! npm ci --no-audit --no-fund --loglevel error >npm-ci.log 2>&1; then
  tail -n 30 npm-ci.log
  echo "# { total: 0, pass: 0, fail: 1 } (npm ci failed on Node $major)"
  exit 1
fi
if [ "$#" -eq 0 ]; then
  set -- $(git -C "$root" ls-files 'test/*.test.ts' 'test/**/*.test.ts' | grep -v '^test/docker\.test\.ts$')
fi
npx tap --reporter=tap "$@"
