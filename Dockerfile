# syntax=docker/dockerfile:1
# Build stage: a static, pure-Go binary (SQLite is modernc.org/sqlite, no cgo).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/steward ./cmd/steward

# Run stage: distroless, non-root, nothing but the binary and CA certificates.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/steward /steward
USER nonroot:nonroot
WORKDIR /home/nonroot
ENV STEWARD_STORE=/home/nonroot/steward.db STEWARD_HTTP_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/steward"]
CMD ["run"]
