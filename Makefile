# Superego — the commands a newcomer needs: make run, make test, make build,
# make lint, make bench.

GO       ?= go
BIN      := bin/superego
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
GOLANGCI := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
# Our packages: ./... minus Go files that npm packages ship under web/node_modules.
PKGS      = $(shell $(GO) list ./... | grep -v /node_modules/)
# Suites that run once per store (see internal/store/teststore).
STORE_SUITES := ./internal/httpapi/ ./internal/wsapi/ ./internal/engine/ ./internal/evals/evalsql/ ./internal/evals/runner/

.PHONY: all build run test test-go test-web e2e lint bench openapi check-openapi web-deps lint-deps web-build clean

all: build

## build: the UI, then the single binary with the UI embedded, at bin/superego
build: web-build
	CGO_ENABLED=0 $(GO) build -tags ui -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/superego

## run: build and serve on http://127.0.0.1:8000 with SQLite under ./data and the demo provider
run: build
	./$(BIN) serve

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci

web-deps: web/node_modules/.package-lock.json

# spectral and redocly, the third-party OpenAPI linters check-openapi runs.
tools/openapi-lint/node_modules/.package-lock.json: tools/openapi-lint/package-lock.json
	cd tools/openapi-lint && npm ci --no-audit --no-fund

lint-deps: tools/openapi-lint/node_modules/.package-lock.json

web-build: web-deps
	cd web && npm run build

## test: every test — Go (with -race), OpenAPI drift, web unit tests, end-to-end in Chromium
test: check-openapi test-go test-web e2e

test-go:
	@if [ -z "$$SUPEREGO_TEST_DATABASE_URL" ] && [ -n "$$CI" ] && [ "$$CI" != "false" ]; then \
	  echo "FAIL: SUPEREGO_TEST_DATABASE_URL is not set: CI must run the PostgreSQL suites (see the README)." >&2; exit 1; fi
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)
	@if [ -n "$$SUPEREGO_TEST_DATABASE_URL" ]; then \
	  echo "== the REST, WebSocket, engine and evaluation suites again, on PostgreSQL"; \
	  SUPEREGO_TEST_STORE=postgres $(GO) test -race -count=1 $(STORE_SUITES); \
	else \
	  echo "NOTE: SUPEREGO_TEST_DATABASE_URL is not set: the PostgreSQL suites were NOT run (CI runs them)."; \
	fi

test-web: web-deps
	cd web && npm run typecheck && npm run lint && npm run test

e2e: build
	cd web && SUPEREGO_BIN=../$(BIN) npm run e2e

## openapi: regenerate api/openapi.json and the web client's types from the server
openapi:
	$(GO) run ./cmd/superego openapi > api/openapi.json
	cd web && npm run gen:api

## check-openapi: fail when the committed spec or web types differ from the code, or when
## spectral (spectral:oas) or redocly (recommended) report an error or a warning
check-openapi: web-deps lint-deps
	@$(GO) run ./cmd/superego openapi > .openapi.check.json
	@diff -u api/openapi.json .openapi.check.json >/dev/null || { rm -f .openapi.check.json; echo "api/openapi.json is stale: run 'make openapi'"; exit 1; }
	@rm -f .openapi.check.json
	@cd web && npx openapi-typescript ../api/openapi.json --default-non-nullable false -o .apiTypes.check.ts >/dev/null && \
	  { cmp -s .apiTypes.check.ts src/api/apiTypes.ts || { rm -f .apiTypes.check.ts; echo "web/src/api/apiTypes.ts is stale: run 'make openapi'"; exit 1; }; }; rm -f .apiTypes.check.ts
	@echo "openapi: api/openapi.json and web/src/api/apiTypes.ts are current"
	@cd tools/openapi-lint && npm run --silent lint

## lint: gofmt, go vet, golangci-lint (curated list and the Go layer rules in .golangci.yml), web lint
lint: web-deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run $(GOLANGCI) run $(shell $(GO) list -f '{{.Dir}}' ./... | grep -v /node_modules/)
	cd web && npm run lint

## bench: every benchmark beside its same-run baseline; raw output goes into BENCHMARKS.md
bench:
	bash scripts/bench.sh

clean:
	rm -rf bin web/dist/assets web/dist/index.html
