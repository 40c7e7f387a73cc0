# syntax=docker/dockerfile:1
# The sample gateway (apps/gateway) as a container image: see docs/deployment.md.
#
#   docker build -t mcpx-gateway .
#   docker run --rm -p 127.0.0.1:3000:3000 -e MCPX_GATEWAY_TOKEN="$(openssl rand -hex 32)" mcpx-gateway
#
# Stage 1 builds the gateway and the workspace packages it depends on, stage 2 is
# `pnpm deploy --prod` of apps/gateway (its dist, and its production dependencies with
# the workspace packages' own dist, no dev tools, no sources), on node:20-slim, as a
# user that is not root.

ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS build
# The version in package.json's packageManager: the lockfile is this pnpm's.
RUN npm install --global pnpm@10.34.8
WORKDIR /src
# Only the lockfile: this layer (every package in the store) is rebuilt only when it changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile
# The gateway and every workspace package it depends on, in dependency order.
RUN pnpm --filter "@mcpx/gateway..." run build
# The workspace has no inject-workspace-packages, so pnpm 10 deploys it the legacy way:
# each workspace dependency is copied with its package.json `files` (dist). It asks the
# registry for metadata (not --offline), and takes the lockfile's versions.
RUN pnpm --filter @mcpx/gateway deploy --prod --legacy /out

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: it passes SIGTERM and SIGHUP to the gateway and reaps the orphans a stdio
# upstream's own children can leave (node reaps only its own children).
RUN apt-get update \
  && apt-get install --yes --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the gateway's user: the code cannot be changed at run time.
COPY --from=build /out /app
# The image's default config: the bundled example upstreams (math, data) on 0.0.0.0,
# callers authenticated by one bearer token from MCPX_GATEWAY_TOKEN. Not `auth: none`: a
# container's port is usually published beyond loopback (`-p 3000:3000` listens on every
# interface of the host), and the gateway refuses a non-loopback address without an auth
# section for that reason. Without the variable the gateway exits 2 naming it: it fails
# closed instead of serving anonymously. Kubernetes mounts its ConfigMap over /etc/mcpx.
# (A quoted 'EOF': the build leaves ${...} alone; the gateway reads the variable.)
COPY <<'EOF' /etc/mcpx/gateway.yaml
serve:
  host: 0.0.0.0
  port: 3000
  path: /mcp
auth:
  bearer:
    tokens:
      - token: ${MCPX_GATEWAY_TOKEN}
        subject: docker
upstreams:
  math: { example: math, namespace: true }
  data: { example: data, namespace: true }
routes:
  - resources: data://**
    to: data
EOF
# The node user of the node images, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
# A probe from inside the container, so on loopback (a Host the gateway always accepts).
# node:20-slim has no curl; fetch is built into Node 20.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli.js"]
CMD ["--config", "/etc/mcpx/gateway.yaml"]
