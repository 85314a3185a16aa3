# syntax=docker/dockerfile:1
# yoyaku: one binary for every role (api, worker, migrate, seed); docker-compose.yml picks the subcommand.

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Dependencies first, so editing code does not download modules again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -o /out/yoyaku ./cmd/yoyaku

FROM debian:bookworm-slim
# ca-certificates for SMTP over TLS; tzdata for YOYAKU_TIMEZONE (Asia/Tokyo by default).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 yoyaku \
    && useradd --system --uid 10001 --gid yoyaku --home-dir /home/yoyaku --create-home \
       --shell /usr/sbin/nologin yoyaku
COPY --from=build /out/yoyaku /usr/local/bin/yoyaku
USER 10001:10001
WORKDIR /home/yoyaku
# Inside a container the loopback defaults of config.Vars would be unreachable through a published port.
ENV YOYAKU_HTTP_ADDR=0.0.0.0:8080 \
    YOYAKU_METRICS_ADDR=0.0.0.0:9091 \
    YOYAKU_WORKER_METRICS_ADDR=0.0.0.0:9090
EXPOSE 8080 9091 9090
ENTRYPOINT ["/usr/local/bin/yoyaku"]
CMD ["api"]
