# brokerctl — see README.md. `make test` is the command CI runs.
GO        ?= go
BIN       ?= bin/brokerctl
PKGS      ?= ./...
FUZZTIME  ?= 5s
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build test unit fuzz lint vet fmt-check bench quickstart emulator clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/brokerctl

## quickstart: apply examples/manifests/quickstart against the built-in emulator.
quickstart:
	$(GO) run ./cmd/brokerctl apply -f examples/manifests/quickstart

## test: vet, unit and CLI tests (PostgreSQL suites too when PostgreSQL is installed), short fuzzing.
test: vet fmt-check unit fuzz

unit:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		bash scripts/with-postgres.sh $(GO) test -count=1 $(PKGS); \
	else \
		echo "PostgreSQL is not installed: PostgreSQL state tests will be skipped (apt-get install -y postgresql)"; \
		$(GO) test -count=1 $(PKGS); \
	fi

fuzz:
	@for target in $$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' pkg | sed 's/^func //' | sort -u); do \
		pkg=$$(grep -rlE "^func $$target\b" --include='*_test.go' pkg | head -1 | xargs dirname); \
		echo "fuzz $$target in ./$$pkg for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) ./$$pkg || exit 1; \
	done

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## lint: gofmt, go vet and staticcheck.
lint: vet fmt-check
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

## bench: every Go benchmark plus the side-by-side onboarding benchmark; figures go into README.md.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 -timeout=30m $(PKGS)

## emulator: start a standalone emulator on 127.0.0.1:8080.
emulator:
	$(GO) run ./cmd/brokerctl emulator serve --addr 127.0.0.1:8080

clean:
	rm -rf bin .brokerctl
