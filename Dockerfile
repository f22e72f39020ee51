# The worker and API image: one image, two roles (PARKFLOW_ROLE=worker | api), run from the build
# with production dependencies only. It talks to an external Temporal (TEMPORAL_EMBEDDED=false), so
# it installs neither the Temporal CLI nor the test server (PARKFLOW_SKIP_TEMPORAL_SETUP).
#   docker build --build-arg PARKFLOW_BUILD_ID=$(git rev-parse --short HEAD) -t parkflow .

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV PARKFLOW_SKIP_TEMPORAL_SETUP=1
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PARKFLOW_SKIP_TEMPORAL_SETUP=1 TEMPORAL_EMBEDDED=false SANDBOX_ENABLED=false
COPY package.json package-lock.json .npmrc ./
# postinstall runs setup-temporal.js (a no-op here); dist/temporal/dev-server.js requires temporal-binaries.js.
COPY scripts/setup-temporal.js scripts/temporal-binaries.js scripts/executables.js ./scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The worker's build id for Worker Versioning: one image, one build (empty: an unversioned worker).
ARG PARKFLOW_BUILD_ID=""
ENV PARKFLOW_BUILD_ID=${PARKFLOW_BUILD_ID}
USER node
# The API answers /healthz; a worker, its Temporal Runtime's metrics address (TEMPORAL_METRICS_BIND).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/healthcheck.js"]
# A small young generation and a bounded heap: the worker's memory stays bounded (with its 256-run cache, about
# 300 MB for 10,000 waiting journeys: README, Performance); the API needs less. scripts/chaos/processes.ts runs the same.
CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=160", "dist/main.js"]
