# liblfm: the two commands a newcomer needs are `make demo` and `make test`.

CARGO ?= cargo

.PHONY: all build demo test test-quick test-rust lint header clean test-maloja memcheck fuzz bench

all: build

build:
	$(CARGO) build --release -p lfm-capi

## Build everything and run the C examples against the mock server.
demo:
	bash scripts/demo.sh

## Every test, as CI runs them (about 12 minutes; installs the tools it needs): formatting,
## clippy, the Rust suites and C programs against the mock, the installed library from every
## language, real Maloja servers, valgrind and sanitizers, and a minute of fuzzing per target.
test: test-quick test-install test-maloja memcheck fuzz

## The inner loop (about 2 minutes): formatting, clippy, the Rust suites and the C programs.
test-quick: lint test-rust

test-rust:
	$(CARGO) test --workspace

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The C test against real Maloja 3.2.3 and 2.14.10 servers on loopback (installs them once).
test-maloja:
	bash scripts/test-maloja.sh

## Every C program under valgrind and under ASan + LSan + UBSan, against the mock.
memcheck:
	bash scripts/memcheck.sh

## Each fuzz target for FUZZ_SECONDS (default 60) with cargo-fuzz.
FUZZ_SECONDS ?= 60
fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

## Benchmarks against nginx, libcurl, bare loops and pylast; writes BENCHMARKS.md.
bench:
	bash scripts/bench.sh

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
# Lays out, under $(DESTDIR):
#   $(LIBDIR)/liblfm.so.$(VERSION), liblfm.so.$(SOVERSION) -> it, liblfm.so -> liblfm.so.$(SOVERSION)
#   $(LIBDIR)/liblfm.a
#   $(INCLUDEDIR)/lfm.h, $(INCLUDEDIR)/lfm.hpp
#   $(PKGCONFIGDIR)/lfm.pc                       (pkg-config lfm; --static adds Libs.private)
#   $(CMAKEDIR)/lfmConfig.cmake, lfmConfigVersion.cmake   (find_package(lfm) -> lfm::lfm)
# PREFIX, LIBDIR and INCLUDEDIR are the final (run-time) locations; DESTDIR only stages.

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/lfm
INSTALL ?= install

# The package version (first `version = "..."` of Cargo.toml) and the SONAME's number.
VERSION := $(shell sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
RELEASE_DIR := target/release
# The system libraries liblfm.a needs (rustc's native-static-libs), cached per Cargo.lock.
NATIVE_STATIC_LIBS := $(RELEASE_DIR)/lfm-native-static-libs.txt

abs_prefix = $(abspath $(PREFIX))
abs_libdir = $(abspath $(LIBDIR))
abs_includedir = $(abspath $(INCLUDEDIR))
# Written into lfm.pc relative to ${prefix} when they live under it.
pc_libdir = $(patsubst $(abs_prefix)/%,$${prefix}/%,$(abs_libdir))
pc_includedir = $(patsubst $(abs_prefix)/%,$${prefix}/%,$(abs_includedir))

.PHONY: install uninstall test-install

$(NATIVE_STATIC_LIBS): Cargo.toml Cargo.lock
	@mkdir -p $(RELEASE_DIR)
	$(CARGO) rustc --release -q -p lfm-capi --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
	  | sed -n 's/.*native-static-libs: *//p' | tail -n 1 > $@.tmp
	@test -s $@.tmp || { echo "could not determine liblfm.a's native libraries" >&2; rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

install: $(NATIVE_STATIC_LIBS) build
	@test -n "$(VERSION)" || { echo "cannot read the version from Cargo.toml" >&2; exit 1; }
	$(INSTALL) -d "$(DESTDIR)$(abs_libdir)" "$(DESTDIR)$(abs_includedir)" \
	  "$(DESTDIR)$(abspath $(PKGCONFIGDIR))" "$(DESTDIR)$(abspath $(CMAKEDIR))"
	$(INSTALL) -m 0755 $(RELEASE_DIR)/c-lib/liblfm.so "$(DESTDIR)$(abs_libdir)/liblfm.so.$(VERSION)"
	ln -sfn liblfm.so.$(VERSION) "$(DESTDIR)$(abs_libdir)/liblfm.so.$(SOVERSION)"
	ln -sfn liblfm.so.$(SOVERSION) "$(DESTDIR)$(abs_libdir)/liblfm.so"
	$(INSTALL) -m 0644 $(RELEASE_DIR)/c-lib/liblfm.a "$(DESTDIR)$(abs_libdir)/liblfm.a"
	$(INSTALL) -m 0644 include/lfm.h include/lfm.hpp "$(DESTDIR)$(abs_includedir)/"
	sed -e 's|@PREFIX@|$(abs_prefix)|g' -e 's|@LIBDIR@|$(pc_libdir)|g' \
	    -e 's|@INCLUDEDIR@|$(pc_includedir)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e "s|@LIBS_PRIVATE@|$$(cat $(NATIVE_STATIC_LIBS))|g" \
	    pkgconfig/lfm.pc.in > "$(DESTDIR)$(abspath $(PKGCONFIGDIR))/lfm.pc"
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SOVERSION@|$(SOVERSION)|g' \
	    -e "s|@INCLUDEDIR_FROM_LIBDIR@|$$(realpath -m --relative-to='$(abs_libdir)' '$(abs_includedir)')|g" \
	    -e "s|@LIBDIR_FROM_CMAKEDIR@|$$(realpath -m --relative-to='$(abspath $(CMAKEDIR))' '$(abs_libdir)')|g" \
	    -e "s|@NATIVE_STATIC_LIBS@|$$(sed -e 's/^ *//' -e 's/ *$$//' -e 's/-l//g' -e 's/  */;/g' $(NATIVE_STATIC_LIBS))|g" \
	    cmake/lfmConfig.cmake.in > "$(DESTDIR)$(abspath $(CMAKEDIR))/lfmConfig.cmake"
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SOVERSION@|$(SOVERSION)|g' \
	    -e "s|@SIZEOF_VOID_P@|$$(( 4 * $$(od -An -tu1 -j4 -N1 $(RELEASE_DIR)/c-lib/liblfm.so) ))|g" \
	    cmake/lfmConfigVersion.cmake.in > "$(DESTDIR)$(abspath $(CMAKEDIR))/lfmConfigVersion.cmake"

uninstall:
	rm -f "$(DESTDIR)$(abs_libdir)/liblfm.so.$(VERSION)" "$(DESTDIR)$(abs_libdir)/liblfm.so.$(SOVERSION)" \
	  "$(DESTDIR)$(abs_libdir)/liblfm.so" "$(DESTDIR)$(abs_libdir)/liblfm.a" \
	  "$(DESTDIR)$(abs_includedir)/lfm.h" "$(DESTDIR)$(abs_includedir)/lfm.hpp" \
	  "$(DESTDIR)$(abspath $(PKGCONFIGDIR))/lfm.pc" \
	  "$(DESTDIR)$(abspath $(CMAKEDIR))/lfmConfig.cmake" "$(DESTDIR)$(abspath $(CMAKEDIR))/lfmConfigVersion.cmake"
	-rmdir "$(DESTDIR)$(abspath $(CMAKEDIR))" 2>/dev/null

## Install into a temporary prefix and run the C, static C, CMake, C++, Go, Kotlin and Python
## consumers against the mock server (installs missing tools: cmake, go, JNA, kotlinc, pytest).
test-install:
	bash scripts/test-install.sh
