# gretool: build, test, demo, bench, install.
#   make demo    build, then show the main job on real interfaces (in the lab VM where
#                the running kernel has no GRE)
#   make test    unit tests, fuzz targets over their corpora, namespace tests on this
#                kernel, GRE tests in the lab VM
#   make sanitize  the unit tests under the address and the thread sanitizer (CI runs
#                it after make test)
#   make fuzz    every fuzz target for FUZZ_SECONDS (default 180) each, or FUZZ_TARGETS;
#                an input over FUZZ_TIMEOUT seconds (default 1) is a hang; FUZZ_RUNS=N stops
#                a target after N executions if that comes first
#   make bench   gretool side by side with iproute2, as ratios
#   make parity-lab  the GRE lines of the iproute2 parity harness, in the lab VM
#   make fleet   ansible-test sanity on the Ansible collection, past make test's limits
#                (CI runs it after make sanitize)
PREFIX ?= /usr/local
DESTDIR ?=
# systemd looks for units under /usr/local/lib too; a package sets /usr/lib/systemd/system.
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
# iproute2 reads its name databases from /etc/iproute2 only, whatever the prefix.
SYSCONFDIR ?= /etc
SWIFT ?= swift
# bash for pipefail: a build piped through grep must still fail when the build does.
SHELL := /bin/bash
# Release builds carry the Swift runtime and libstdc++, so the binary runs without a
# toolchain. How they are linked decides start-up (make bench; Development.md says why):
# libstdc++ is linked statically (a directory holding only its archive is searched
# first) because loading it costs more than anything gretool does; lld packs the
# relative relocations (DT_RELR, glibc 2.36) that a position-independent binary
# applies at start; there is no run path (SwiftPM's $ORIGIN made the loader look for
# libmnl, libm and libc in a dozen places beside the binary first, all missing);
# nothing is exported (the runtime's dladdr scans every exported symbol); concrete
# generic types are made by calls, not from mangled names, whose decoding scans every
# protocol conformance in the binary.
STATIC_CXX = .build/static-c++
RELEASE_FLAGS = -c release --static-swift-stdlib --disable-local-rpath \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
	-Xswiftc -use-ld=lld -Xswiftc -L$(CURDIR)/$(STATIC_CXX) -Xswiftc -Xclang-linker -Xswiftc -static-libgcc \
	-Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic \
	-Xlinker --gc-sections -Xlinker -s
GRETOOL = .build/release/gretool
# The test stages (unit, kernel, lab) are scripts/test.sh's.
TESTS = SWIFT=$(SWIFT) GRETOOL=$(GRETOOL) scripts/test.sh

.PHONY: all build deps test unit-test fuzz-test kernel-test lab-test parity-lab sanitize fleet fuzz demo bench install install-units install-protocols completions man clean

all: build

deps:
	@scripts/deps.sh

build: deps $(STATIC_CXX)/libstdc++.a
	set -o pipefail; $(SWIFT) build $(RELEASE_FLAGS) 2>&1 | { grep -v "use of \`mktemp' is dangerous" || true; }
	@test -x $(GRETOOL)

$(STATIC_CXX)/libstdc++.a:
	@archive=$$(clang -print-file-name=libstdc++.a); \
	test -f "$$archive" || { echo "no libstdc++.a (apt-get install libstdc++-12-dev)" >&2; exit 1; }; \
	mkdir -p $(STATIC_CXX) && ln -sf "$$archive" $@

unit-test: deps
	@$(TESTS) unit

fuzz-test: deps
	@$(TESTS) fuzz

kernel-test: build
	@$(TESTS) kernel

lab-test: build
	@$(TESTS) lab

# Every stage runs; the target fails if any did (see scripts/test.sh).
test: build
	@$(TESTS)

# The GRE half of the iproute2 parity harness, in the lab (minutes under emulation, so
# not in make test; Tests/Kernel/parity/lab.sh says why).
parity-lab: build
	GRETOOL_LAB_TIMEOUT=1800 GRETOOL_LAB_IDLE=900 Tests/Lab/lab.sh --gretool $(GRETOOL) -- bash Kernel/runner.sh -t 900 -s LAB Kernel/parity/lab.sh

# The unit tests under each sanitizer, in build directories of their own
# (scripts/sanitize.sh; SANITIZERS=address or thread for one).
SANITIZERS ?=
sanitize: deps
	@SWIFT=$(SWIFT) scripts/sanitize.sh $(SANITIZERS)

# The Ansible collection's check past make test's limits: ansible-test sanity, whose
# environments take minutes to make the first time (Tests/Kernel/fleet/sanity.sh says why).
fleet: build
	@GRETOOL=$(GRETOOL) Tests/Kernel/runner.sh -t 900 Tests/Kernel/fleet/sanity.sh

# The fuzz targets (Tests/Fuzz, scripts/fuzz.sh): libFuzzer with the address sanitizer.
FUZZ_SECONDS ?= 180
FUZZ_TIMEOUT ?= 1
FUZZ_RUNS ?=
FUZZ_TARGETS ?=
fuzz: deps
	@scripts/fuzz.sh build && FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh run $(FUZZ_TARGETS)

demo: build
	scripts/demo.sh $(GRETOOL)

bench: build
	scripts/bench.sh $(GRETOOL)

completions: build
	$(GRETOOL) --generate-completion-script bash > completions/gretool.bash
	$(GRETOOL) --generate-completion-script zsh > completions/_gretool
	$(GRETOOL) --generate-completion-script fish > completions/gretool.fish

# The manual page, generated from the same command tree (ArgumentParser's plugin). The
# plugin builds the package again with its own settings; a scratch directory of its own
# leaves make build's binary and objects as they are.
man:
	$(SWIFT) package --scratch-path .build-man generate-manual --date $$(git log -1 --format=%cs 2>/dev/null || date +%F) >/dev/null
	cp .build-man/plugins/GenerateManual/outputs/gretool/gretool.1 Documentation/gretool.1

install: build
	install -D -m 755 $(GRETOOL) $(DESTDIR)$(PREFIX)/bin/gretool
	install -D -m 644 completions/gretool.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gretool
	install -D -m 644 completions/_gretool $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_gretool
	install -D -m 644 completions/gretool.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/gretool.fish
	install -D -m 644 Documentation/gretool.md $(DESTDIR)$(PREFIX)/share/doc/gretool/gretool.md
	install -D -m 644 Documentation/gretool.1 $(DESTDIR)$(PREFIX)/share/man/man1/gretool.1
	$(MAKE) --no-print-directory install-units
	$(MAKE) --no-print-directory install-protocols

# The systemd units (contrib/systemd), with the installed binary's path in ExecStart.
install-units:
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)$(PREFIX)/share/doc/gretool
	for unit in contrib/systemd/*.service; do \
		sed 's|@BINDIR@|$(PREFIX)/bin|g' $$unit > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$(basename $$unit) && \
		chmod 644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$(basename $$unit) || exit 1; \
	done
	install -m 644 contrib/systemd/keepalive.conf.example $(DESTDIR)$(PREFIX)/share/doc/gretool/keepalive.conf.example

# The name of apply's protocol number (47, "proto gretool" in ip route and gretool's own
# listings, which read the same files).
install-protocols:
	install -D -m 644 contrib/iproute2/rt_protos.d/gretool.conf $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d/gretool.conf

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan
