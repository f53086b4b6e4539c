# imshift: the two commands are `make dev` (run the demo) and `make test`.
TEMPORAL_CLI_VERSION := v1.5.1
HELM_VERSION := v3.19.0
# The Temporal server release TEMPORAL_CLI_VERSION embeds (the CLI's go.mod).
TEMPORAL_SERVER_VERSION := v1.29.1
TEMPORAL_SERVER_DIR := bin/temporal-server-$(TEMPORAL_SERVER_VERSION)
GO ?= go

.PHONY: dev test test-deploy test-cluster faults tools build bench bench-provision bench-presence bench-faults bench-sendpush

## dev: build, start Temporal (UI :8233), simulators, worker and a demo population
dev: tools build
	bash testbed/scripts/dev.sh

## test: unit + integration tests against a real Temporal dev server, PostgreSQL, Redis
test: tools
	bash testbed/scripts/test.sh
	$(MAKE) test-deploy

## faults: every fault test (TestFault*) against the real stack, then one table of what each did (docs/operations.md)
faults: tools
	bash testbed/scripts/faults.sh

## tools: the pinned temporal CLI (dev server + UI) in bin/
tools: bin/temporal

bin/temporal:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

## build: bin/worker, bin/starter, bin/simulator
build:
	$(GO) build -o bin/ ./worker ./starter ./testbed/simulator

## bench-provision: provision USERS (default 1 000 000) directory users through the OpenIM client and a simulator process
USERS ?= 1000000
bench-provision:
	$(GO) run ./testbed/bench/provision -users $(USERS)

## bench: a PushCampaign to DEVICES (default 1 000 000, half FCM, half APNs) at 0 and 20 ms simulator latency, against the raw SDK ceiling
DEVICES ?= 1000000
bench: tools
	$(GO) run ./testbed/bench/campaign -devices $(DEVICES)

## bench-presence: webhook intake rate and p50/p99 of a 1 000-user presence:query on the demo data (docs/presence.md)
bench-presence:
	$(GO) run ./testbed/bench/presence

## bench-faults: a PushCampaign to FAULT_DEVICES (default 100 000) at 20 ms: clean, with 20 % 429 + 20 % 503 injected, clean again
FAULT_DEVICES ?= 100000
bench-faults: tools
	$(GO) run ./testbed/bench/campaign -faults -devices $(FAULT_DEVICES) -latencies 20ms

## bench-sendpush: POST /v1/push at 25, 50, 100, 200, 400/s (30 s each; p50/p99 from 202 to the provider's ack), then 100/s beside a campaign
bench-sendpush: tools
	$(GO) run ./testbed/bench/campaign -sendpush -devices 20000 -latencies 20ms

## test-deploy: helm lint/template of deploy/helm/imshift and the compose-spec loader on deploy/compose.yaml (no Docker, no cluster)
test-deploy: bin/helm
	cd deploy/check && $(GO) test -count=1 ./...

# helm from the Go module proxy (compiles for 10+ minutes on a 2-core machine, once).
bin/helm:
	GOBIN=$(CURDIR)/bin $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

## test-cluster: the production topology (docs/production.md): a Temporal server built from go.temporal.io/server on PostgreSQL, three worker processes, a 200 000-device campaign through a worker SIGKILL and a server restart
test-cluster: $(TEMPORAL_SERVER_DIR)/.built
	$(GO) vet -tags cluster ./testbed/cluster/
	$(GO) test -tags cluster -count=1 -timeout 45m -v -run TestProductionTopology ./testbed/cluster/

# The server, its SQL tool (temporal-sql-tool) and its PostgreSQL schema, from
# the Go module proxy (the server module has no replace directives, so go
# install builds it as released; 10-25 minutes once on a busy 2-core machine).
$(TEMPORAL_SERVER_DIR)/.built:
	GOBIN=$(CURDIR)/$(TEMPORAL_SERVER_DIR) $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) \
		go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	rm -rf $(TEMPORAL_SERVER_DIR)/schema && mkdir -p $(TEMPORAL_SERVER_DIR)/schema
	# the SQL only: a copied version.go would be a package of this module to go list ./...
	cp -R "$$($(GO) env GOMODCACHE)/go.temporal.io/server@$(TEMPORAL_SERVER_VERSION)/schema/postgresql/v12/temporal" \
		"$$($(GO) env GOMODCACHE)/go.temporal.io/server@$(TEMPORAL_SERVER_VERSION)/schema/postgresql/v12/visibility" \
		$(TEMPORAL_SERVER_DIR)/schema/
	chmod -R u+w $(TEMPORAL_SERVER_DIR)/schema
	touch $@
