# liblfm: the two commands a newcomer needs are `make demo` and `make test`.

CARGO ?= cargo

.PHONY: all build demo test test-quick test-rust lint header clean test-maloja memcheck fuzz bench bench-smoke

all: build

build:
	$(CARGO) build --release -p lfm-capi

## Build everything and run the C examples against the mock server.
demo:
	bash scripts/demo.sh

## Every test, as CI runs them (about 16 minutes; installs the tools it needs): formatting,
## clippy, the Rust suites and C programs against the mock, the installed library from every
## language, real Maloja servers, valgrind and sanitizers, a minute of fuzzing per target, and
## the benchmark harness in its quick mode (it must run; its figures are not checked).
test: test-quick test-install test-maloja memcheck fuzz bench-smoke

## The inner loop (about 2 minutes): formatting, clippy, the Rust suites and the C programs.
test-quick: lint test-rust

test-rust:
	$(CARGO) test --workspace

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q --no-deps -p lfm

## The C test against real Maloja 3.2.3 and 2.14.10 servers on loopback (installs them once).
test-maloja:
	bash scripts/test-maloja.sh

## Every C program under valgrind and under ASan + LSan + UBSan, against the mock, with liblfm
## built debug and release (about 3 minutes once built; MEMCHECK_PROFILES=release for one).
memcheck:
	bash scripts/memcheck.sh

## Each fuzz target for FUZZ_SECONDS (default 60) with cargo-fuzz.
FUZZ_SECONDS ?= 60
fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

## Benchmarks against nginx, libcurl, bare loops and pylast; writes BENCHMARKS.md.
bench:
	bash scripts/bench.sh

## The whole benchmark harness in its short mode, written to target/ (BENCHMARKS.md untouched).
bench-smoke:
	LFM_BENCH_QUICK=1 LFM_BENCH_OUT=target/bench-smoke.md bash scripts/bench.sh

## Regenerate include/lfm.h from the sources (commit the result).
header:
	LFM_BLESS=1 $(CARGO) test -p lfm-capi --test header committed_header_matches_cbindgen

clean:
	$(CARGO) clean

# ---------------------------------------------------------------------------------------
# Installing liblfm for C, C++, CMake, pkg-config, and the language bindings in bindings/.
#
#   make install PREFIX=/usr/local [DESTDIR=/staging] [LIBDIR=...] [INCLUDEDIR=...]
#   make uninstall PREFIX=/usr/local [DESTDIR=...]
#   make test-install      # install into a temp prefix and run every consumer against the mock
#
# A thin wrapper over `cargo cinstall -p lfm-capi` (cargo-c; scripts/ensure-cargo-c.sh installs
# it once), which builds the C library and lays out, under $(DESTDIR):
#   $(LIBDIR)/liblfm.so.$(VERSION), liblfm.so.$(SOVERSION) -> it, liblfm.so -> it (SONAME liblfm.so.$(SOVERSION))
#   $(LIBDIR)/liblfm.a
#   $(INCLUDEDIR)/lfm.h, $(INCLUDEDIR)/lfm.hpp   (the committed headers)
#   $(LIBDIR)/pkgconfig/lfm.pc                   (pkg-config lfm; --static adds Libs.private)
# The Makefile adds what cargo-c does not write:
#   $(CMAKEDIR)/lfmConfig.cmake, lfmConfigVersion.cmake   (find_package(lfm) -> lfm::lfm)
# PREFIX, LIBDIR and INCLUDEDIR are the final (run-time) locations; DESTDIR only stages.

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
CMAKEDIR ?= $(LIBDIR)/cmake/lfm
INSTALL ?= install

# The package version (first `version = "..."` of Cargo.toml) and the SONAME's number.
VERSION := $(shell sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))

abs_prefix = $(abspath $(PREFIX))
abs_libdir = $(abspath $(LIBDIR))
abs_includedir = $(abspath $(INCLUDEDIR))
staged_libdir = $(DESTDIR)$(abs_libdir)
staged_cmakedir = $(DESTDIR)$(abspath $(CMAKEDIR))

.PHONY: install uninstall test-install

install:
	@test -n "$(VERSION)" || { echo "cannot read the version from Cargo.toml" >&2; exit 1; }
	bash scripts/ensure-cargo-c.sh
	$(CARGO) cinstall --release -p lfm-capi --prefix="$(abs_prefix)" --libdir="$(abs_libdir)" \
	  --includedir="$(abs_includedir)" $(if $(DESTDIR),--destdir="$(abspath $(DESTDIR))")
	$(INSTALL) -d "$(staged_cmakedir)"
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SOVERSION@|$(SOVERSION)|g' \
	    -e "s|@INCLUDEDIR_FROM_LIBDIR@|$$(realpath -m --relative-to='$(abs_libdir)' '$(abs_includedir)')|g" \
	    -e "s|@LIBDIR_FROM_CMAKEDIR@|$$(realpath -m --relative-to='$(abspath $(CMAKEDIR))' '$(abs_libdir)')|g" \
	    -e "s|@NATIVE_STATIC_LIBS@|$$(sed -n 's/^Libs.private: *//p' '$(staged_libdir)/pkgconfig/lfm.pc' | sed -e 's/ *$$//' -e 's/-l//g' -e 's/  */;/g')|g" \
	    cmake/lfmConfig.cmake.in > "$(staged_cmakedir)/lfmConfig.cmake"
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SOVERSION@|$(SOVERSION)|g' \
	    -e "s|@SIZEOF_VOID_P@|$$(( 4 * $$(od -An -tu1 -j4 -N1 '$(staged_libdir)/liblfm.so.$(VERSION)') ))|g" \
	    cmake/lfmConfigVersion.cmake.in > "$(staged_cmakedir)/lfmConfigVersion.cmake"

uninstall:
	rm -f "$(staged_libdir)/liblfm.so.$(VERSION)" "$(staged_libdir)/liblfm.so.$(SOVERSION)" \
	  "$(staged_libdir)/liblfm.so" "$(staged_libdir)/liblfm.a" \
	  "$(DESTDIR)$(abs_includedir)/lfm.h" "$(DESTDIR)$(abs_includedir)/lfm.hpp" \
	  "$(staged_libdir)/pkgconfig/lfm.pc" \
	  "$(staged_cmakedir)/lfmConfig.cmake" "$(staged_cmakedir)/lfmConfigVersion.cmake"
	-rmdir "$(staged_cmakedir)" 2>/dev/null

## Install into a temporary prefix and run the C, static C, CMake, C++, Go, Kotlin and Python
## consumers against the mock server (installs missing tools: cmake, go, JNA, kotlinc, pytest).
test-install:
	bash scripts/test-install.sh
