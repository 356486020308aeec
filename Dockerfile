# syntax=docker/dockerfile:1
#
# apps-deployer image: the CLI, run as `/app/dist/cli/main.js <command>` (default: reconcile).
#   docker build -t apps-deployer:0.1.0 --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run --rm --read-only --tmpfs /tmp apps-deployer:0.1.0 validate /bundles/app.zip
# Two stages: `build` compiles TypeScript and prunes dev dependencies; the runtime stage gets only
# dist/, the production node_modules and package.json (read at run time for the deployer's version),
# owned by root and run as uid 10001, so the code is read-only to the process. The image needs no
# writable path but /tmp (os.tmpdir(): bundles stream to temp files), which Kubernetes mounts as an
# emptyDir and `docker run` as --tmpfs. No credential is baked in: AWS credentials come from the
# standard chain at run time (IRSA in Kubernetes).

ARG NODE_VERSION=20.20.2

# ---------------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src

# Dependencies first, in their own layer, so a source-only change reuses it. --ignore-scripts: no
# runtime dependency has an install script (only optional dev tooling does), and none should run here.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
  && chmod 0755 dist/cli/main.js \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# ---------------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="apps-deployer" \
  org.opencontainers.image.description="Deploys Mattermost app bundles (Lambda functions, static assets, manifests) to AWS, safely and idempotently." \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.licenses="Apache-2.0" \
  org.opencontainers.image.vendor="Mattermost apps-deployer maintainers" \
  org.opencontainers.image.base.name="docker.io/library/node:${NODE_VERSION}-bookworm-slim"

# A dedicated unprivileged user with the uid/gid the Helm chart's securityContext names (10001).
# npm, npx and corepack are not needed at run time: removing them shrinks what an attacker could use.
# `apps-deployer` on the PATH serves shells, e.g. GitLab CI jobs that use this image with
# `entrypoint: [""]`. main.js starts with `#!/usr/bin/env -S node --max-old-space-size=384`: V8's heap
# sized the same in every pod, whatever the node's memory (src/cli/main.ts).
RUN groupadd --system --gid 10001 apps-deployer \
  && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin apps-deployer \
  && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
  && ln -s /app/dist/cli/main.js /usr/local/bin/apps-deployer

# HOME: the AWS SDK looks for ~/.aws/config through os.homedir(), which throws when the uid has no
# passwd entry and HOME is unset (e.g. a cluster that picks a random uid). The directory need not exist.
ENV NODE_ENV=production \
  NODE_OPTIONS=--enable-source-maps \
  HOME=/nonexistent

WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001

# The CLI is PID 1 here (env execs node: one process); in Docker prefer `--init` (docker-compose.yml
# sets `init: true`). main.js itself, so that its first line's heap flags apply.
ENTRYPOINT ["/app/dist/cli/main.js"]
CMD ["reconcile"]
