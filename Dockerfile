# The reference server as a container: SQLite in the volume /var/lib/scim by default, or
# SCIM_DATABASE_URL=postgres://... / mysql://... The production guide
# (scim-core/docs/production.md, "Deployment") explains each setting.
#
#   docker build -t scim-reference-server .
#   docker run -p 8080:8080 -v scim:/var/lib/scim \
#       -e SCIM_PUBLIC_URL=https://scim.example.com scim-reference-server

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p reference-server \
    && cp target/release/reference-server /usr/local/bin/reference-server

FROM debian:bookworm-slim
# No TLS library is needed: TLS ends at the load balancer, and the database drivers are
# pure Rust. The server runs as an unprivileged user that owns only its data directory.
RUN useradd --system --uid 10001 --home-dir /var/lib/scim --shell /usr/sbin/nologin scim \
    && mkdir -p /var/lib/scim && chown scim /var/lib/scim
COPY --from=build /usr/local/bin/reference-server /usr/local/bin/reference-server
USER scim
ENV SCIM_BIND=0.0.0.0:8080 \
    SCIM_DATABASE_URL=sqlite:///var/lib/scim/scim.db \
    SCIM_METRICS_BIND=0.0.0.0:9464 \
    SCIM_LOG_FORMAT=json
VOLUME /var/lib/scim
# 8080: SCIM, the admin page and the probes (/healthz, /readyz); 9464: /metrics, for the
# cluster's Prometheus only.
EXPOSE 8080 9464
# SIGTERM stops it gracefully: requests in flight finish (SCIM_SHUTDOWN_GRACE, 30 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/reference-server"]
