# gretool: build, test, demo, bench, install.
#   make demo    build, then show the main job on real interfaces (in the lab VM where
#                the running kernel has no GRE)
#   make test    unit tests, namespace tests on this kernel, GRE tests in the lab VM
#   make bench   gretool side by side with iproute2, as ratios
PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
# bash for pipefail: a build piped through grep must still fail when the build does.
SHELL := /bin/bash
# Release builds carry the Swift runtime, so the binary runs without a toolchain.
RELEASE_FLAGS = -c release --static-swift-stdlib -Xlinker --gc-sections -Xlinker -s
GRETOOL = .build/release/gretool
KERNEL_TESTS = GRETOOL=$(GRETOOL) Tests/Kernel/runner.sh Tests/Kernel/host/*.sh
LAB_TESTS = Tests/Lab/lab.sh --gretool $(GRETOOL) && Tests/Lab/selftest.sh --gretool $(GRETOOL)

.PHONY: all build deps test unit-test kernel-test lab-test demo bench install completions man clean

all: build

deps:
	@scripts/deps.sh

build: deps
	set -o pipefail; $(SWIFT) build $(RELEASE_FLAGS) 2>&1 | { grep -v "use of \`mktemp' is dangerous" || true; }
	@test -x $(GRETOOL)

unit-test: deps
	$(SWIFT) test

kernel-test: build
	$(KERNEL_TESTS)

lab-test: build
	$(LAB_TESTS)

# Every stage runs; the target fails if any did. Kernel and lab tests need root:
# without it they are skipped (exit 77), and the summary says so.
test: build
	@status=0; skipped=""; \
	echo "== unit tests"; $(SWIFT) test || status=1; \
	echo "== kernel tests (this kernel, namespaces)"; \
	$(KERNEL_TESTS); rc=$$?; \
	if [ $$rc = 77 ]; then skipped="$$skipped kernel"; elif [ $$rc != 0 ]; then status=1; fi; \
	echo "== lab tests (GRE kernel in qemu)"; \
	$(LAB_TESTS); rc=$$?; \
	if [ $$rc = 77 ]; then skipped="$$skipped lab"; elif [ $$rc != 0 ]; then status=1; fi; \
	if [ $$status != 0 ]; then echo "== some tests FAILED"; \
	elif [ -n "$$skipped" ]; then echo "== tests passed, but SKIPPED (not root):$$skipped"; \
	else echo "== all tests passed"; fi; \
	exit $$status

demo: build
	scripts/demo.sh $(GRETOOL)

bench: build
	scripts/bench.sh $(GRETOOL)

completions: build
	$(GRETOOL) --generate-completion-script bash > completions/gretool.bash
	$(GRETOOL) --generate-completion-script zsh > completions/_gretool
	$(GRETOOL) --generate-completion-script fish > completions/gretool.fish

# The manual page, generated from the same command tree (ArgumentParser's plugin).
man:
	$(SWIFT) package generate-manual --date $$(git log -1 --format=%cs 2>/dev/null || date +%F) >/dev/null
	cp .build/plugins/GenerateManual/outputs/gretool/gretool.1 Documentation/gretool.1

install: build
	install -D -m 755 $(GRETOOL) $(DESTDIR)$(PREFIX)/bin/gretool
	install -D -m 644 completions/gretool.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gretool
	install -D -m 644 completions/_gretool $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_gretool
	install -D -m 644 completions/gretool.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/gretool.fish
	install -D -m 644 Documentation/gretool.md $(DESTDIR)$(PREFIX)/share/doc/gretool/gretool.md
	install -D -m 644 Documentation/gretool.1 $(DESTDIR)$(PREFIX)/share/man/man1/gretool.1

clean:
	rm -rf .build
