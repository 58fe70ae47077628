# dbrelay — the two commands a newcomer needs are `make demo` and `make test`.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: test demo build vet lint-tsql bench bench-quick clean

## test: static checks (gofmt, go vet, the T-SQL grammar check) and every test
## against a private PostgreSQL the tests start themselves.
test: vet lint-tsql
	$(GO) test -race -count=1 ./...

## demo: a private PostgreSQL, a sample webhook receiver, messages pushed
## through relay.push and delivered by the listener, then cleaned up.
demo:
	$(GO) run ./cmd/dbrelay demo

## build: the dbrelay binary in ./bin
build:
	$(GO) build -o bin/dbrelay ./cmd/dbrelay

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

## lint-tsql: sqlfluff 3.3.1's T-SQL grammar over every SQL Server file.
lint-tsql:
	scripts/tsql-parse

clean:
	rm -rf bin
