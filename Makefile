# Thin wrapper over CMake.  `make` installs what is missing and builds;
# `make test` runs every test; `make demo` flies the demo; `make bench`
# prints the benchmark figures.
BUILD ?= build
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build test demo bench clean

all: build

deps:
	@scripts/deps

build: deps
	@cmake -S . -B $(BUILD) -DSTARLING_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@scripts/test

demo: build
	$(BUILD)/starling run missions/patrol.lua --speed 10

bench: build
	@scripts/bench

clean:
	rm -rf $(BUILD) build-asan
