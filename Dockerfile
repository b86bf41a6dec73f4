# Halo's executables in one image; docker-compose.yml runs one service per container.
# Build: docker build -t halo .
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        pkg-config libnghttp2-dev libssl-dev libhiredis-dev libsodium-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY services ./services
COPY protos ./protos
RUN swift build -c release --static-swift-stdlib \
    && mkdir -p /out \
    && for product in halo-auth halo-video halo-engagement; do \
           if [ -x ".build/release/$product" ]; then cp ".build/release/$product" /out/; fi; \
       done \
    && cp -r .build/release/*.resources /out/ 2>/dev/null || true

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libnghttp2-14 libssl3 libhiredis0.14 libsodium23 libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/halo --create-home halo
# Bundle resources (the descriptor set) sit next to the executables, where Bundle.module looks.
COPY --from=build /out/ /usr/local/bin/
USER halo
ENV HALO_DATA_DIR=/var/lib/halo
