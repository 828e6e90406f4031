# The timeline service. Build: `docker build -t timeline .`; run: `docker run timeline run --help`.

FROM rust:1.95-bookworm AS build
# librdkafka (built from source by rdkafka-sys) needs a C toolchain, make, OpenSSL, zlib and
# Cyrus SASL (GSSAPI/Kerberos).
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config libssl-dev zlib1g-dev libsasl2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin timeline \
 && cp target/release/timeline /usr/local/bin/timeline

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 zlib1g libsasl2-2 libsasl2-modules-gssapi-mit \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/timeline /usr/local/bin/timeline
# Everything the binary needs is compiled in (rules, lexicons, models, default config).
USER 65534:65534
EXPOSE 9464
ENTRYPOINT ["timeline"]
CMD ["run"]
