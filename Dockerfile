# videoqa worker image: Debian slim + Node 24 LTS + ffmpeg (+ tesseract-ocr, as the seed's image has).
# Build:  docker build -t videoqa-worker:0.1.0 .
# Run:    see compose.yaml (PostgreSQL with pgvector + the worker + a data volume).
FROM node:24-bookworm-slim AS base
RUN npm install -g --loglevel=error pnpm@10

FROM base AS build
WORKDIR /src
COPY . .
RUN CI=true pnpm install --frozen-lockfile && pnpm build
# Keep only what the runner needs at run time.
RUN rm -rf node_modules packages/*/node_modules examples/node_modules bench/node_modules \
 && CI=true pnpm install --frozen-lockfile --prod --filter "@videoqa/runner..."

FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg tesseract-ocr ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 videoqa \
 && mkdir -p /app/data && chown videoqa /app/data
WORKDIR /app
COPY --from=build /src/package.json /src/pnpm-workspace.yaml ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
ENV NODE_ENV=production DATA_DIR=/app/data
USER videoqa
VOLUME ["/app/data"]
EXPOSE 8000 8080
STOPSIGNAL SIGTERM
CMD ["node", "packages/runner/dist/cli.js", "worker"]
