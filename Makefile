# c-tools — static, musl-linked container tools.
#
#   make                 dependencies (once, cached), lib/, every cmd/*.c into bin/,
#                        then a first container (scripts/first-container.sh)
#   make all             the build alone
#   make check           the whole test suite; ends with "N passed, N failed"
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make bench           benchmarks, side by side with the anchors
#
# Two flavours of the same code: "musl" (the product: musl-gcc, fully static,
# dependencies built from Debian's sources by scripts/deps.sh) and "asan"
# (host gcc, -fsanitize=address,undefined, Debian's -dev packages of the same
# sources), which runs the unit tests again.

.DEFAULT_GOAL := first-container
# V=1 shows the full commands.
Q := $(if $(V),,@)
VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
BUILD := build

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
# lib/ in floors, lowest first: a floor's files include only its own
# headers and those of the floors below (tests/build.bats checks it).
FLOORS := core image runtime run
COMMON_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DC_TOOLS_VERSION='"$(VERSION)"' \
	$(addprefix -Ilib/,$(FLOORS)) $(WARN) -fno-strict-aliasing -MMD -MP

# --- musl flavour -------------------------------------------------------------
MUSL := $(BUILD)/musl
MUSL_CC := musl-gcc
MUSL_CFLAGS := $(COMMON_CFLAGS) -O2 -ffunction-sections -fdata-sections
MUSL_LDFLAGS := -static -s -Wl,--gc-sections

# scripts/deps.sh writes DEPS_CFLAGS, DEPS_LIBS, KHEADERS; it is only rerun when
# the recipes change, and then finds its cache.
DEPS_MK := $(BUILD)/deps.mk
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
include $(DEPS_MK)
endif
$(DEPS_MK): scripts/deps.sh $(wildcard scripts/deps/*.sh)
	@mkdir -p $(BUILD)
	sh scripts/deps.sh $@

# --- asan flavour -------------------------------------------------------------
ASAN := $(BUILD)/asan
ASAN_CC := gcc
ASAN_CFLAGS := $(COMMON_CFLAGS) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
ASAN_LIBS := -larchive -lseccomp -ljansson -lbearssl -lisal -lzstd -lz

# --- sources ------------------------------------------------------------------
LIB_SRCS := $(wildcard $(patsubst %,lib/%/*.c,$(FLOORS)))
# One static binary, bin/c-tools, holds the programs (cmd/NAME.c, or
# cmd/NAME/*.c for one with several fronts); bin/NAME is a link to it.
# Those in ALONE are binaries of their own: c-run, whose start-up time and
# memory are what users measure us by, and which the shared binary made
# slower (README, Size).
ALONE := c-run
PROGRAMS := $(patsubst cmd/%.c,%,$(filter-out cmd/c-tools.c cmd/alone.c,$(wildcard cmd/*.c))) \
	$(patsubst cmd/%/,%,$(sort $(dir $(wildcard cmd/*/*.c))))
SHARED := $(filter-out $(ALONE),$(PROGRAMS))
PROGS := $(addprefix bin/,$(PROGRAMS))
LINKS := $(addprefix bin/,$(SHARED))
# a program's objects: cmd/NAME.c, or cmd/NAME/*.c
prog_objs = $(patsubst %.c,$(MUSL)/%.o,$(wildcard cmd/$(1).c cmd/$(1)/*.c))
CMD_OBJS := $(MUSL)/cmd/c-tools.o $(foreach p,$(SHARED),$(call prog_objs,$(p)))
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRCS))
TEST_INIT := $(MUSL)/tests/c-test-init
BENCH_PROGS := $(patsubst bench/%.c,$(MUSL)/bench/%,$(wildcard bench/*.c))

MUSL_LIB := $(MUSL)/libctools.a
ASAN_LIB := $(ASAN)/libctools.a
MUSL_UNITS := $(addprefix $(MUSL)/tests/,$(UNIT_NAMES))
ASAN_UNITS := $(addprefix $(ASAN)/tests/,$(UNIT_NAMES))

.PHONY: all first-container print-floors check unit unit-asan install bench clean distclean deps FORCE

all: bin/c-tools $(PROGS) $(TEST_INIT)

# The README's first command: the build, then a container of an image made
# on the spot from the host's busybox-static, with no registry.
first-container: all
	@sh scripts/first-container.sh bin

deps: $(DEPS_MK)

print-floors:
	@echo $(FLOORS)

# Each object and program knows its headers from the compiler (-MMD).
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

$(MUSL)/lib/%.o: lib/%.c $(DEPS_MK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) -isystem $(KHEADERS) $(DEPS_CFLAGS) -c -o $@ $<

$(MUSL_LIB): $(patsubst lib/%.c,$(MUSL)/lib/%.o,$(LIB_SRCS))
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

MUSL_LINK = $(MUSL_CC) $(MUSL_CFLAGS) -isystem $(KHEADERS) $(DEPS_CFLAGS) $(MUSL_LDFLAGS) \
	-o $@ $< $(MUSL_LIB) -Wl,--start-group $(DEPS_LIBS) -Wl,--end-group

$(MUSL)/cmd/%.o: cmd/%.c $(DEPS_MK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) -Icmd -isystem $(KHEADERS) $(DEPS_CFLAGS) -c -o $@ $<

# a binary of the objects $(1), the library and the dependencies
link_objs = $(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $(1) $(MUSL_LIB) \
	-Wl,--start-group $(DEPS_LIBS) -Wl,--end-group

bin/c-tools: $(CMD_OBJS) $(MUSL_LIB)
	@mkdir -p bin
	@echo "  LD      $@"
	$(Q)$(call link_objs,$(CMD_OBJS))

$(LINKS): bin/c-tools FORCE
	$(Q)[ "$$(readlink $@ 2>/dev/null)" = c-tools ] || ln -sfn c-tools $@

# cmd/alone.c's main calls the program's, named by ALONE_MAIN
$(MUSL)/cmd/alone-%.o: cmd/alone.c $(DEPS_MK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) -Icmd -DALONE_MAIN=$(subst -,_,$*)_main -c -o $@ $<

.SECONDEXPANSION:
$(addprefix bin/,$(ALONE)): bin/%: $(MUSL)/cmd/alone-%.o $$(call prog_objs,%) $(MUSL_LIB)
	@mkdir -p bin
	@echo "  LD      $@"
	$(Q)rm -f $@
	$(Q)$(call link_objs,$(filter %.o,$^))

$(MUSL)/tests/%: tests/unit/%.c $(MUSL_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(MUSL_LINK) -Wl,-Map=$@.map

$(TEST_INIT): tests/init/c-test-init.c
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) -isystem $(KHEADERS) $(MUSL_LDFLAGS) -Os -o $@ $<

$(MUSL)/bench/%: bench/%.c $(MUSL_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(MUSL_LINK)

$(ASAN)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -c -o $@ $<

$(ASAN_LIB): $(patsubst lib/%.c,$(ASAN)/lib/%.o,$(LIB_SRCS))
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(ASAN)/tests/%: tests/unit/%.c $(ASAN_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $< $(ASAN_LIB) $(ASAN_LIBS)

unit: $(MUSL_UNITS)
unit-asan: $(ASAN_UNITS)

# Installs the test packages first (as root): the asan flavour links them.
check:
	@sh scripts/test-deps.sh
	@$(MAKE) --no-print-directory all unit unit-asan
	@tests/run $(MUSL_UNITS) $(ASAN_UNITS) -- tests/*.bats

bench: all $(BENCH_PROGS)
	@BUILD_DIR=$(MUSL) bench/run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 bin/c-tools $(addprefix bin/,$(ALONE)) $(DESTDIR)$(PREFIX)/bin/
	for p in $(SHARED); do ln -sfn c-tools $(DESTDIR)$(PREFIX)/bin/$$p || exit 1; done
	$(if $(wildcard man/*.1),install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/)
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(PREFIX)/share/man/man7/

clean:
	rm -rf bin $(MUSL) $(ASAN)

# Also forget where the dependency cache is; the cache itself stays (see README).
distclean: clean
	rm -rf $(BUILD)
