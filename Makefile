# yoyaku — `make dev` runs the whole stack, `make test` tests it. See README.md.
SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
export GOBIN := $(BIN)

TEMPORAL_VERSION      := v1.5.1
# The Temporal server and its schema tool, for `make cluster` (the production topology on PostgreSQL).
TEMPORAL_SERVER_VERSION := v1.29.1
TEMPORAL_UI_VERSION   := v2.42.1
MAILPIT_VERSION       := v1.27.11
STATICCHECK_VERSION   := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0
TEST_TIMEOUT          ?= 40m

# Each pinned tool is built once into ./bin; the stamp file carries its version, so a version bump rebuilds it.
TOOLS := $(BIN)/.temporal-$(TEMPORAL_VERSION) $(BIN)/.mailpit-$(MAILPIT_VERSION) \
         $(BIN)/.temporal-server-$(TEMPORAL_SERVER_VERSION) $(BIN)/.temporal-ui-$(TEMPORAL_UI_VERSION) \
         $(BIN)/.staticcheck-$(STATICCHECK_VERSION) $(BIN)/.workflowcheck-$(WORKFLOWCHECK_VERSION)

.PHONY: all tools build dev cluster test bench bench-cluster chaos lint fmt clean clean-dev browser nginx hugepages
all: build

tools: $(TOOLS)

$(BIN)/.temporal-$(TEMPORAL_VERSION):
	@echo "building the Temporal CLI $(TEMPORAL_VERSION) (dev server and Web UI; about 3 minutes the first time)"
	$(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)
	@touch $@
# Installed as temporal-server and temporal-sql-tool (with the schemas in temporal-schema/): `go install` names them server and sql, which say
# nothing beside the other tools in ./bin.
$(BIN)/.temporal-server-$(TEMPORAL_SERVER_VERSION):
	@echo "building the Temporal server $(TEMPORAL_SERVER_VERSION) and its SQL schema tool (about 5 minutes the first time)"
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		GOBIN=$$tmp $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION) && \
		mv "$$tmp/server" $(BIN)/temporal-server && mv "$$tmp/sql" $(BIN)/temporal-sql-tool
	@# The PostgreSQL schemas the tool applies (deploy/temporal/schema.sh), from the same module version.
	rm -rf $(BIN)/temporal-schema && cp -R "$$($(GO) env GOMODCACHE)/go.temporal.io/server@$(TEMPORAL_SERVER_VERSION)/schema/postgresql/v12" $(BIN)/temporal-schema && chmod -R u+w $(BIN)/temporal-schema
	@touch $@
# The Temporal Web UI server for `make cluster` (the CLI serves one for its dev server only), from the Go module
# the CLI embeds, with the built UI inside; installed as temporal-ui.
$(BIN)/.temporal-ui-$(TEMPORAL_UI_VERSION):
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		GOBIN=$$tmp $(GO) install github.com/temporalio/ui-server/v2/cmd/server@$(TEMPORAL_UI_VERSION) && \
		mv "$$tmp/server" $(BIN)/temporal-ui
	@touch $@
$(BIN)/.mailpit-$(MAILPIT_VERSION):
	$(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)
	@touch $@
$(BIN)/.staticcheck-$(STATICCHECK_VERSION):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@touch $@
$(BIN)/.workflowcheck-$(WORKFLOWCHECK_VERSION):
	$(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)
	@touch $@

build:
	@$(GO) version | awk '{ split($$3, v, "."); if (v[1] != "go1" || v[2] < 26) { print "yoyaku needs Go 1.26 or newer: install it from go.dev/dl"; exit 1 } }'
	$(GO) build -o $(BIN)/yoyaku ./cmd/yoyaku

# The whole stack in the foreground; Ctrl-C stops all of it. State is kept in .dev/ (YOYAKU_DEV_DIR).
dev: tools build
	@exec $(BIN)/yoyaku dev

# The production topology on this machine (issue 17): PostgreSQL with yoyaku's and Temporal's databases, the
# Temporal server on PostgreSQL, Mailpit, two API replicas behind nginx and two workers; the same addresses
# as `make dev`. Ctrl-C stops all of it. State is kept in .cluster/ (YOYAKU_DEV_DIR overrides it).
cluster: tools build nginx hugepages
	@exec $(BIN)/yoyaku dev --cluster

# Huge pages for PostgreSQL's shared_buffers (1 GB), the host setting PostgreSQL recommends for a buffer pool
# of that size: a backend then maps it in 2 MiB pages instead of faulting it in 4 KiB at a time, which
# halved a search's first count on a new connection (README, "On the production topology"). PostgreSQL
# (huge_pages=try, its default) takes them when they are there. Reserving them needs root; otherwise this
# says how, and PostgreSQL runs without them. `sysctl -w vm.nr_hugepages=0` gives the memory back.
HUGEPAGES ?= 640
hugepages:
	@have=$$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0); \
	if [ "$$have" -lt $(HUGEPAGES) ]; then \
		if [ "$$(id -u)" = 0 ]; then sysctl -q -w vm.nr_hugepages=$(HUGEPAGES) && \
			echo "reserved $$(cat /proc/sys/vm/nr_hugepages) huge pages of 2 MiB for PostgreSQL's shared_buffers"; \
		else echo "PostgreSQL runs without huge pages (as root: sysctl -w vm.nr_hugepages=$(HUGEPAGES))"; fi; \
	fi

# nginx (Debian's nginx-light) for `make cluster` and its test, installed when missing.
nginx:
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then :; else \
		echo "installing nginx-light (Debian package)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx-light >/dev/null; \
	fi

# Headless Chromium and its driver (Debian packages) for the browser tests, installed when missing, with
# Japanese fonts so that screenshots show the pages as patrons see them.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=ja 2>/dev/null | grep -q .; then :; else \
		echo "installing chromium, chromium-driver and Japanese fonts (Debian packages)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null; \
	fi

# Unit tests, integration tests against real PostgreSQL, Temporal and Mailpit (which the tests start), and
# browser tests in headless Chromium. Screenshots of the pages land in screenshots/.
# The scenarios with faults and timings (the chaos day, the e2e faults and hot title) run after the rest and
# one package at a time: on 2 cores a neighbouring package's load stretches their waits past their limits.
SCENARIO_PKGS := ./cmd/yoyaku ./e2e
test: tools build browser nginx
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v -e '/cmd/yoyaku$$' -e '/e2e$$')
	$(GO) test -count=1 -p 1 -timeout $(TEST_TIMEOUT) $(SCENARIO_PKGS)
	$(MAKE) fuzz FUZZTIME=20000x

# Each fuzz target (go test -fuzz) for FUZZTIME, one at a time: go test fuzzes one target per run. The seed
# corpora are in each package's testdata/fuzz/; a failing input is written there too. FUZZTIME=1m for longer.
# make test counts executions (20000x) instead of seconds: with a duration, Go 1.26's fuzz coordinator can
# report its own deadline as a failure ("context deadline exceeded", no input written) when a busy machine
# starves its workers at the end (golang/go#75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME     ?= 10s
FUZZ_TARGETS := domain:FuzzNormalizeCard domain:FuzzSearchKey store:FuzzSearchQuery \
                api:FuzzPlaceBody api:FuzzScanBody api:FuzzContactBody
.PHONY: fuzz
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} (./$${t%%:*}) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) ./$${t%%:*}; \
	done

# Measure the README's benchmark targets on a private stack (temporary state, free ports; stopped at the end); a few
# minutes. The table goes to the terminal, the same as JSON to bench.json. Flags: BENCH_FLAGS="--holds 400".
bench: tools build
	$(BIN)/yoyaku bench --dev --out bench.json $(BENCH_FLAGS)

# The same on the production topology (issue 17): a private `make cluster` stack, 1,000-hold runs against the
# median of three baselines on the same Temporal server, a 1,000,000-title catalogue, the bestseller burst and
# a rolling restart; CPU profiles of api-1 and worker-1 are kept (their paths are in the table). About 10
# minutes; the report goes to bench-cluster.json.
bench-cluster: tools build nginx hugepages
	$(BIN)/yoyaku bench --cluster --out bench-cluster.json $(BENCH_FLAGS)

# The long chaos run (issues 8, 12 and 15): 1,000 holds on a private stack, patrons suspending, resuming,
# deferring and extending them, while the worker is SIGKILLed twice, the API once, PostgreSQL and Temporal
# restarted once each, the busiest title's row locked for 20 s and PostgreSQL frozen (SIGSTOP) for 30 s; then
# `yoyaku check` must find nothing, no hold lost, left past its (extended) pickup window or expired before it,
# none left suspended after its resume, no mail twice. About 10 minutes. The report goes to chaos.json;
# CHAOS_FLAGS="--holds 2000 --duration 8m".
chaos: tools build
	$(BIN)/yoyaku chaos --out chaos.json $(CHAOS_FLAGS)

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	$(BIN)/workflowcheck ./workflows/...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)

# Forget the dev stack's and the cluster's data (database, workflows, mail).
clean-dev:
	rm -rf .dev .cluster
