# banlie's container image: a static cgo build (SQLite) on a minimal runtime
# image, run as a non-root user, data in /data.
#
#   docker build -t banlie .
#
# Base images are build arguments, so that a machine without a registry can
# build from local ones (deploy/compose-test.sh does). With a vendor/
# folder in the context the build uses it and needs no network.
ARG GO_IMAGE=golang:1.26
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS source
COPY . /src
# Only the module files and vendored code feed the dependency layer below, so
# a change to banlie's own code does not rebuild the dependencies.
RUN mkdir -p /deps && cp /src/go.mod /src/go.sum /deps/ \
 && if [ -d /src/vendor ]; then cp -r /src/vendor /deps/vendor; fi

FROM ${GO_IMAGE} AS build
ENV CGO_ENABLED=1 GOTOOLCHAIN=local GOFLAGS=-trimpath
ARG TAGS="osusergo netgo timetzdata sqlite_omit_load_extension"
WORKDIR /src
COPY --from=source /deps/ /src/
# Compile the dependencies (the slow part: SQLite's C code) in a layer of their own.
RUN if [ -d vendor ]; then export GOFLAGS="$GOFLAGS -mod=vendor"; pkgs=$(grep -v '^#' vendor/modules.txt); \
    else go mod download && pkgs=$(go list -m -f '{{.Path}}/...' all | grep -v '^banlie/'); fi; \
    go list -e -tags "$TAGS" -f '{{if and .GoFiles (not .Incomplete)}}{{.ImportPath}}{{end}}' $pkgs 2>/dev/null \
      | xargs -r go build -tags "$TAGS" >/dev/null 2>&1 || true
COPY --from=source /src/ /src/
RUN if [ -d vendor ]; then export GOFLAGS="$GOFLAGS -mod=vendor"; fi; \
    go build -tags "$TAGS" -ldflags '-s -w -linkmode external -extldflags -static' -o /out/banlie . \
 && /out/banlie help >/dev/null
RUN mkdir -p /out/data

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/banlie /usr/local/bin/banlie
COPY --from=build --chown=65532:65532 /out/data /data
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    BANLIE_ADDR=:8080 \
    BANLIE_DB=/data/banlie.db
USER 65532:65532
WORKDIR /data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/banlie", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/banlie"]
CMD ["serve"]
