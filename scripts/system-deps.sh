#!/bin/sh
# Debian packages the tests use: real proxies (nginx, caddy), strace (which files the server opens),
# openssl (TLS certificates for the proxy tests), iproute2 (test network namespaces), chromium (the
# page in a real browser, driven by playwright-core; no browser is downloaded by npm), and a real
# Python ASGI stack for the forwarded WebSockets (python3-fastapi, python3-uvicorn with websockets).
# With --build-tools (before npm ci): the compiler node-gyp needs for the native modules node-pty and
# better-sqlite3 instead (they are built from source: no prebuilt binary is downloaded).
# Installs what is missing when it can (root with apt-get); otherwise says what is missing, and the
# tests that need it fail with "REQUIREMENT MISSING".
set -u
missing=""
wanted="nginx:nginx caddy:caddy strace:strace openssl:openssl ip:iproute2 chromium:chromium"
[ "${1:-}" = "--build-tools" ] && wanted="g++:g++ make:make python3:python3"
for pair in $wanted; do
  cmd=${pair%%:*}
  pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ "${1:-}" != "--build-tools" ]; then
  for pair in fastapi:python3-fastapi uvicorn:python3-uvicorn websockets:python3-websockets; do
    /usr/bin/python3 -c "import ${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
  done
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends $missing >/dev/null; } ||
    echo "system-deps: could not install$missing" >&2
else
  echo "system-deps: missing$missing (install them with apt-get as root); the tests that need them will fail" >&2
fi
exit 0
