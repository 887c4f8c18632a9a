# Dockerfile: the hermes-dashboard server, without Hermes (HERMES_DASHBOARD_BACKEND=off).
# See docs/docker.md. The base images are made locally by scripts/docker-base.sh (Debian bookworm
# minbase + Node 22; no image registry needed):
#
#   sh scripts/docker-base.sh
#   CONTAINERS_CONF=/var/tmp/hermes-dashboard-docker/containers.conf \
#     podman build --format docker --pull=never --network=host -t hermes-dashboard .
#
# `--format docker` keeps the HEALTHCHECK (the OCI image format has no field for it). Other Node 22
# bases do too (--build-arg BUILD_BASE=... BASE=...): the build base needs npm, python3, make, g++
# and the Node headers in /usr/local/include/node (node:22-bookworm has them), the runtime base
# /usr/bin/tini, useradd and node on PATH (node:22-bookworm-slim plus tini); see docs/docker.md.
ARG BUILD_BASE=localhost/hermes-dashboard-base:bookworm-node22-build
ARG BASE=localhost/hermes-dashboard-base:bookworm-node22

# ---------- build: native modules, TypeScript, the page ----------
FROM ${BUILD_BASE} AS build
# better-sqlite3 and node-pty are compiled with node-gyp against the Node headers of the base image
# (no header download), never fetched prebuilt (no prebuild download attempt either).
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false \
    CI=true
WORKDIR /src
# Dependencies first, in their own layer: it is reused while package*.json do not change.
# --ignore-scripts keeps npm ci from running this package's own "prepare" (the build, whose sources
# are not copied yet); `npm rebuild` then runs the dependencies' install scripts (node-gyp, esbuild).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && { npm rebuild --foreground-scripts >/tmp/rebuild.log 2>&1 || { tail -n 60 /tmp/rebuild.log; exit 1; }; } \
 && rm -f /tmp/rebuild.log \
 && node -e "require('better-sqlite3')(':memory:').close(); require('node-pty')"
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-cli.mjs scripts/build-web.mjs ./scripts/
COPY src ./src
COPY web ./web
# Then production dependencies only, without what the runtime never loads: node-pty's prebuilt
# binaries for macOS and Windows, the C/C++ sources and the compilers' object files.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf node_modules/node-pty/prebuilds node_modules/node-pty/deps node_modules/node-pty/third_party \
      node_modules/node-pty/src node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && for d in node_modules/better-sqlite3/build node_modules/node-pty/build; do \
      find "$d" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +; \
      rm -rf "$d/Release/obj" "$d/Release/obj.target" "$d/Release/.deps" "$d/Release/test_extension.node"; \
    done \
 && node -e "require('better-sqlite3')(':memory:').close(); require('node-pty')" \
 && node dist/hermes-dashboard.cjs --version

# ---------- runtime: node, tini, the build, production dependencies ----------
FROM ${BASE}
LABEL org.opencontainers.image.title="hermes-dashboard" \
      org.opencontainers.image.description="Drop-in TypeScript/Fastify server for the Hermes Agent dashboard (no Hermes inside: backend off)" \
      org.opencontainers.image.licenses="MIT"
# UID/GID 10000, as the hermes user of Hermes' own image, so both can share one data volume.
RUN groupadd --gid 10000 hermes \
 && useradd --uid 10000 --gid 10000 --home-dir /home/hermes --create-home --shell /usr/sbin/nologin hermes \
 && mkdir -p /data \
 && chown 10000:10000 /data
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
COPY LICENSE ./LICENSE

# Every option has a HERMES_DASHBOARD_* variable (`hermes-dashboard --help`). The trust mode is not
# set: on 0.0.0.0 without --trusted-proxies it resolves to token (anyone who reaches the port needs
# the session token, printed at start in a ?token= URL). No Hermes in this image: backend off.
ENV NODE_ENV=production \
    HERMES_HOME=/data \
    HERMES_DASHBOARD_HOST=0.0.0.0 \
    HERMES_DASHBOARD_PORT=9119 \
    HERMES_DASHBOARD_BACKEND=off \
    HERMES_DASHBOARD_NO_OPEN=1
VOLUME /data
EXPOSE 9119
USER 10000:10000
# /api/status is public in every trust mode; 127.0.0.1 is always an allowed host.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "const h=process.env.HERMES_DASHBOARD_HOST||'';const a=(h===''||h==='0.0.0.0'||h==='::')?'127.0.0.1':(h.includes(':')?'['+h+']':h);fetch('http://'+a+':'+(process.env.HERMES_DASHBOARD_PORT||'9119')+'/api/status',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
# tini is PID 1: it forwards SIGTERM to node (which closes and exits 0) and reaps the Chat's
# orphaned children.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/hermes-dashboard.cjs"]
CMD []
