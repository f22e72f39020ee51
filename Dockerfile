# The worker and API image (one image, two roles: PARKFLOW_ROLE=worker | api).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PARKFLOW_SKIP_TEMPORAL_SETUP=1
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
RUN npm ci --omit=dev
COPY tsconfig.json ./
COPY src ./src
USER node
CMD ["node_modules/.bin/tsx", "src/main.ts"]
