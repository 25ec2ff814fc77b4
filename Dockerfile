# vaultd container image.
#
#   docker build -t vaultd --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) .
#   docker run -p 8200:8200 -v $PWD/config:/vault/config:ro vaultd
#   docker run -p 8200:8200 vaultd vaultd server -dev -dev-listen-address=0.0.0.0:8200
#   docker exec <container> vault status
#
# The image answers to two names: /usr/local/bin/vault is a link to
# vaultd, so the vault CLI's commands (vault kv put, vault policy write,
# vault operator unseal, ...) work in the container as they are written.
# It carries one shell, /bin/sh: Debian's static busybox (no libraries,
# its applets built in), so `kubectl exec -it vaultd-0 -- sh` opens a
# session where those commands, heredocs and $VARS work. vault login keeps
# its token in $HOME/.vault-token: the root filesystem is read-only in the
# chart and manifests, which mount an in-memory emptyDir at /home/vaultd.
# The server runs as uid 10001 and reads every .hcl and .json file in
# /vault/config; keep the bbolt store under /vault/data. Unless the config
# sets disable_mlock = true, the server locks its memory, which a non-root
# process can only do within RLIMIT_MEMLOCK (docker run --ulimit memlock=-1).

# Build stage: a static, stripped binary, with no cgo and no build paths.
ARG GO_VERSION=1.26.8
FROM golang:${GO_VERSION} AS build

# The shell for the final image: one statically linked binary.
RUN apt-get update && \
    apt-get install -y --no-install-recommends busybox-static && \
    rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Modules first, so that a change to the source does not fetch them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .

ARG COMMIT
ARG BUILD_DATE
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags "-s -w -X main.commit=${COMMIT} -X main.buildDate=${BUILD_DATE}" -o /out/vaultd ./cmd/vaultd

# The final image's files: passwd and group entries for the non-root user
# (its home is where the chart mounts a writable emptyDir), the directories
# it works in (only the data directory is its own), the link that lets
# vaultd be run as vault, and /bin/sh as busybox.
RUN mkdir -p /rootfs/etc /rootfs/vault/data /rootfs/vault/config /rootfs/usr/local/bin /rootfs/bin && \
    ln -s vaultd /rootfs/usr/local/bin/vault && \
    ln -s busybox /rootfs/bin/sh && \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nvaultd:x:10001:10001:vaultd:/home/vaultd:/bin/sh\n' > /rootfs/etc/passwd && \
    printf 'root:x:0:\nvaultd:x:10001:\n' > /rootfs/etc/group && \
    mkdir -p /rootfs/home/vaultd && \
    chown 10001:10001 /rootfs/vault/data /rootfs/home/vaultd && \
    chmod 0700 /rootfs/vault/data /rootfs/home/vaultd && \
    chmod 0755 /rootfs/vault/config

# Final stage: the binary, CA certificates, the user and the shell;
# nothing else.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /rootfs/ /
COPY --from=build /bin/busybox /bin/busybox
COPY --from=build /out/vaultd /usr/local/bin/vaultd
ENV PATH=/usr/local/bin:/bin HOME=/home/vaultd
USER 10001:10001
WORKDIR /vault
VOLUME ["/vault/data"]
EXPOSE 8200
CMD ["vaultd", "server", "-config=/vault/config"]
