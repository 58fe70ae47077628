# dbrelay — the two commands a newcomer needs are `make demo` and `make test`.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: test demo build vet lint-tsql bench bench-quick bench-vet chaos clean

## test: static checks (gofmt, go vet, the T-SQL grammar check) and every test
## against a private PostgreSQL the tests start themselves.
test: vet lint-tsql bench-vet
	$(GO) test -race -count=1 ./...
	@[ -n "$$MSSQL_URL" ] || echo "NOTE: the SQL Server suite (dialect/sqlserver) was SKIPPED: MSSQL_URL is not set. Static T-SQL checks ran."

## demo: a private PostgreSQL, a sample webhook receiver, messages pushed
## through relay.push and delivered by the listener, then cleaned up.
demo:
	$(GO) run ./cmd/dbrelay demo

## build: the dbrelay binary in ./bin
build:
	$(GO) build -o bin/dbrelay ./cmd/dbrelay

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' ':!vendor' 2>/dev/null || find . -name '*.go' -not -path './vendor/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags chaos ./internal/chaos/

## lint-tsql: sqlfluff 3.3.1's T-SQL grammar over every SQL Server file.
lint-tsql:
	scripts/tsql-parse

## bench: dbrelay against the HTTP ceiling and River on a private, durable
## PostgreSQL; prints the table and writes bench/RESULTS.md (bench/README.md).
## Variables: ROUNDS (default 3), N (default 50000), ONLY (comma-separated
## workload names), QUICK=1 (1 round, N=10000, shorter host-cost phases).
bench:
	cd bench && ROUNDS="$(ROUNDS)" N="$(N)" ONLY="$(ONLY)" QUICK="$(QUICK)" $(GO) run .

bench-quick:
	$(MAKE) bench QUICK=1

## bench-vet: the bench module (its own go.mod, so River and pgx stay out of
## the product's dependencies) must vet and build, so that it cannot rot; the
## benchmark itself is not run by CI. -o /dev/null: discard the binary.
bench-vet:
	@cd bench && if $(GO) mod download >/dev/null 2>&1; then \
	  $(GO) vet ./... && $(GO) build -o /dev/null ./...; \
	else \
	  echo "NOTE: bench module NOT vetted: its dependencies (River, pgx) cannot be downloaded here (offline?)"; \
	fi

## chaos: the listener's fault harness (internal/chaos, issue 13): the real
## `dbrelay listen` against a private durable PostgreSQL through a proxy that
## cuts and black-holes connections, delivering to a recording receiver,
## one fault per scenario. Prints a table; fails on any lost, stuck or
## mismatched message and on duplicates no fault explains. Variables: ONLY
## (comma-separated scenario names), N (messages per scenario). Not part of
## `make test` (build tag chaos): it takes minutes.
chaos:
	CHAOS_ONLY="$(ONLY)" CHAOS_N="$(N)" $(GO) test -tags chaos -count=1 -v -timeout 40m -run TestChaos ./internal/chaos/

clean:
	rm -rf bin
