# SPDX-License-Identifier: Apache-2.0
# The whole set-up on a fresh Debian 12 machine is `make demo` or `make check`.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
PREFIX     ?= /usr
DESTDIR    ?=
MESON      ?= meson

BUILD_DEPS = meson ninja-build pkg-config gcc clang libjansson-dev libyaml-dev libcmocka-dev libcap-dev \
             libseccomp-dev libclang-rt-14-dev gcc-multilib
TEST_DEPS  = runc crun busybox-static jq util-linux iproute2 python3-jsonschema python3-yaml valgrind
CLIENT_DEPS = podman catatonit docker.io containerd
BENCH_DEPS = hyperfine gnuplot-nox
LINT_DEPS  = clang-tidy cppcheck clang-tools

.PHONY: all build deps test-deps check demo bench fuzz install deb lint clean stress

all: build

# Install missing Debian packages when we are root; otherwise say exactly which are missing.
define apt_need
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; \
			(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
		else echo "missing Debian packages:$$missing (run as root, or: sudo apt-get install$$missing)"; exit 1; fi; \
	fi
endef

deps:
	$(call apt_need,$(BUILD_DEPS))

test-deps: deps
	$(call apt_need,$(TEST_DEPS) $(CLIENT_DEPS) $(LINT_DEPS))

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --prefix=$(PREFIX) >/dev/null

build: deps $(BUILD)/build.ninja
	$(MESON) setup --reconfigure $(BUILD) >/dev/null
	ninja -C $(BUILD)

build-asan: deps
	[ -f $(BUILD_ASAN)/build.ninja ] || $(MESON) setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	$(MESON) setup --reconfigure $(BUILD_ASAN) >/dev/null
	ninja -C $(BUILD_ASAN)

build-fuzz: deps
	[ -f $(BUILD_FUZZ)/build.ninja ] || CC=clang $(MESON) setup $(BUILD_FUZZ) -Dfuzz=true -Db_lundef=false >/dev/null
	$(MESON) setup --reconfigure $(BUILD_FUZZ) >/dev/null
	ninja -C $(BUILD_FUZZ)

check: test-deps build build-asan build-fuzz
	NVCT_BUILD=$(CURDIR)/$(BUILD) NVCT_BUILD_ASAN=$(CURDIR)/$(BUILD_ASAN) NVCT_BUILD_FUZZ=$(CURDIR)/$(BUILD_FUZZ) \
		tests/run.sh

fuzz: build-fuzz
	NVCT_FUZZ_SECONDS=$${NVCT_FUZZ_SECONDS:-60} NVCT_BUILD=$(CURDIR)/$(BUILD) NVCT_BUILD_FUZZ=$(CURDIR)/$(BUILD_FUZZ) \
		tests/run.sh fuzz

demo: test-deps build
	NVCT_BUILD=$(CURDIR)/$(BUILD) tests/demo.sh

bench: test-deps build
	$(call apt_need,$(BENCH_DEPS))
	NVCT_BUILD=$(CURDIR)/$(BUILD) bench/run.sh

# Long race and fault runs (make check runs the same tests bounded in time).
stress: test-deps build
	NVCT_HOSTILE_RACE_SECONDS=$${NVCT_HOSTILE_RACE_SECONDS:-600} NVCT_BUILD=$(CURDIR)/$(BUILD) tests/run.sh hostile

# Static analysis: clang-tidy (.clang-tidy), cppcheck and scan-build. make check runs it too.
lint: deps
	$(call apt_need,$(LINT_DEPS))
	NVCT_BUILD=$(CURDIR)/$(BUILD) tools/lint.sh

install: build
	DESTDIR=$(DESTDIR) $(MESON) install -C $(BUILD) --no-rebuild

deb: build
	packaging/mkdeb.sh $(CURDIR)/$(BUILD) $(CURDIR)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
