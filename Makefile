# Steward: the two commands a newcomer needs are `make run` and `make test`.
GO       ?= go
BIN      := bin/steward
PKGS     := ./...
CATALOG  ?= cmd/steward/demo/catalog.yaml

.PHONY: build run test bench lint docker fuzz eval clean

build:
	$(GO) build -o $(BIN) ./cmd/steward

# Slack when SLACK_BOT_TOKEN (and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET) are set,
# otherwise a console session on the embedded SQLite store and the demo catalog.
run: build
	./$(BIN) run

# Unit and integration tests with the race detector. Integration tests start a
# throwaway PostgreSQL cluster and the Firestore emulator themselves.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=1x -timeout 60m $(PKGS) | tee bench.out

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Runs each fuzz target for FUZZTIME (default 60s).
FUZZTIME ?= 60s
fuzz:
	@for spec in $$($(GO) test -list '^Fuzz' $(PKGS) 2>/dev/null | awk '/^ok/ {pkg=$$2} /^Fuzz/ {print pkg":"$$1}' ); do \
		pkg=$${spec%%:*}; fn=$${spec##*:}; echo "== $$pkg $$fn"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# Scores the copilot on the shared development cases.
EVAL ?= ../shared/eval
eval: build
	python3 -c "import json;[print(json.loads(l)['sentence']) for l in open('$(EVAL)/dev/cases.jsonl')]" > /tmp/steward-sentences.txt
	./$(BIN) copilot --catalog $(EVAL)/dev/catalog.yaml < /tmp/steward-sentences.txt > /tmp/steward-eval.jsonl
	python3 $(EVAL)/score_copilot.py $(EVAL)/dev/catalog.yaml $(EVAL)/dev/cases.jsonl /tmp/steward-eval.jsonl --verbose

docker:
	docker build -t steward:dev .

clean:
	rm -rf bin bench.out
