# liblfm: the two commands a newcomer needs are `make demo` and `make test`.

CARGO ?= cargo

.PHONY: all build demo test lint header clean

all: build

build:
	$(CARGO) build --release -p lfm

## Build everything and run the C examples against the mock server.
demo:
	bash scripts/demo.sh

## Every test: formatting, clippy, the Rust suites, and the C programs against the mock.
test: lint
	$(CARGO) test --workspace

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Regenerate include/lfm.h from the sources (commit the result).
header:
	LFM_BLESS=1 $(CARGO) test -p lfm --test header committed_header_matches_cbindgen

clean:
	$(CARGO) clean
