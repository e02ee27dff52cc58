# portd - port-ownership daemon and its client portctl.
#
#   make            build portd and portctl into build/
#   make run        install dependencies, build, run portd in the foreground
#   make test       install dependencies, build, run every test suite
#   make asan       the same tests built with AddressSanitizer + UBSan
#   make deps       install missing packages (apt-get when root)
#   make install    PREFIX=/usr/local DESTDIR= honoured

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc

CC        ?= cc
BUILD     ?= build
PKGS      := libuv libcjson
PKG_CONFIG ?= pkg-config

WARN      := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wformat=2 -Wvla -fno-common -Werror
OPT       ?= -O2 -g
CPPFLAGS  += -D_GNU_SOURCE -Icommon -DPORTD_VERSION=\"$(VERSION)\"
CFLAGS    += $(WARN) $(OPT) $(EXTRA_CFLAGS)
LDFLAGS   += $(EXTRA_LDFLAGS)

# pkg-config is only needed once deps are present; keep `make deps` usable
# without it.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

# Per-OS files are named *_linux.c, *_darwin.c, *_win.c, or *_unix.c (Linux
# and macOS alike); the build picks those of TARGET_OS, everything else
# builds anywhere. The pure decoders (decode_*.c) build everywhere: they
# are tested on every host from fixtures.
TARGET_OS   ?= linux
OS_TAGS_linux  := linux unix
OS_TAGS_darwin := darwin unix
OS_TAGS_win    := win
OS_PATTERNS := $(foreach t,linux darwin win unix,%_$(t).c)
OS_PICK      = $(foreach t,$(OS_TAGS_$(TARGET_OS)),$(filter %_$(t).c,$(1)))
srcs_of      = $(filter-out $(OS_PATTERNS),$(wildcard $(1)/*.c)) \
               $(call OS_PICK,$(wildcard $(1)/*.c))
# decode_linux.c is a pure decoder despite its name: it builds everywhere.
COMMON_SRCS := $(sort $(call srcs_of,common) $(wildcard common/decode_*.c))
DAEMON_SRCS := $(call srcs_of,daemon)
CLIENT_SRCS := $(call srcs_of,client)
TEST_SRCS   := $(wildcard tests/check_*.c)
HELPER_SRCS := $(wildcard tests/helpers/*.c)

COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
CLIENT_OBJS := $(CLIENT_SRCS:%.c=$(BUILD)/%.o)
TEST_BINS   := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

LIBCOMMON   := $(BUILD)/libportd.a
PORTD       := $(BUILD)/portd
PORTCTL     := $(BUILD)/portctl

.PHONY: all deps run test check asan install uninstall clean tests-build lint

all: $(PORTD) $(PORTCTL)

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBCOMMON): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(PORTD): $(DAEMON_OBJS) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(PORTCTL): $(CLIENT_OBJS) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/check_%: tests/check_%.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) \
	    -DFIXTURES=\"$(CURDIR)/tests/fixtures\" -o $@ $^ \
	    $(CHECK_LIBS) $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS)

tests-build: all $(TEST_BINS) $(HELPER_BINS)

# The suites: check unit tests, then integration tests against the real
# binaries; tests/run.sh prints one summary line for all of them.
check: tests-build
	@BUILD=$(BUILD) sh tests/run.sh

test: deps
	@$(MAKE) --no-print-directory check

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    OPT="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" check

RUN_DIR := $(CURDIR)/run
run: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/run.sh "$(CURDIR)/$(BUILD)" "$(RUN_DIR)"

# make install [PREFIX=/usr/local] [DESTDIR=] installs exactly these files
# (tests/integration/test_service.py checks the list):
#   $(SBINDIR)/portd                $(BINDIR)/portctl
#   $(MANDIR)/man1/portctl.1        $(MANDIR)/man5/portd.conf.5
#   $(MANDIR)/man8/portd.8
#   $(UNITDIR)/portd.service        $(UNITDIR)/portd.socket
#   $(SYSCONFDIR)/portd/portd.conf  only if there is none yet: an edited
#                                   configuration is never overwritten
# UNITDIR follows PREFIX: /usr/local/lib/systemd/system is systemd's place
# for locally installed units, /usr/lib/systemd/system a package's (both
# are in its search path). portd.service says ExecStart=@SBINDIR@/portd;
# the installed copy names the real $(SBINDIR). make uninstall removes all
# of it but the configuration.
UNITDIR   ?= $(PREFIX)/lib/systemd/system

install: all
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(SBINDIR)" \
	    "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man5" \
	    "$(DESTDIR)$(MANDIR)/man8" "$(DESTDIR)$(UNITDIR)" \
	    "$(DESTDIR)$(SYSCONFDIR)/portd"
	install -m 0755 $(PORTCTL) "$(DESTDIR)$(BINDIR)/portctl"
	install -m 0755 $(PORTD) "$(DESTDIR)$(SBINDIR)/portd"
	install -m 0644 man/portctl.1 "$(DESTDIR)$(MANDIR)/man1/portctl.1"
	install -m 0644 man/portd.conf.5 "$(DESTDIR)$(MANDIR)/man5/portd.conf.5"
	install -m 0644 man/portd.8 "$(DESTDIR)$(MANDIR)/man8/portd.8"
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/portd.service \
	    >"$(DESTDIR)$(UNITDIR)/portd.service.tmp"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/portd.service.tmp"
	mv -f "$(DESTDIR)$(UNITDIR)/portd.service.tmp" \
	    "$(DESTDIR)$(UNITDIR)/portd.service"
	install -m 0644 systemd/portd.socket "$(DESTDIR)$(UNITDIR)/portd.socket"
	@if [ -e "$(DESTDIR)$(SYSCONFDIR)/portd/portd.conf" ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/portd/portd.conf"; \
	else \
		echo "installing $(DESTDIR)$(SYSCONFDIR)/portd/portd.conf"; \
		install -m 0644 conf/portd.conf \
		    "$(DESTDIR)$(SYSCONFDIR)/portd/portd.conf"; \
	fi
	@[ -n "$(DESTDIR)" ] || echo "portd: installed; now systemctl \
	daemon-reload && systemctl enable --now portd.socket portd.service"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/portctl" "$(DESTDIR)$(SBINDIR)/portd" \
	    "$(DESTDIR)$(MANDIR)/man1/portctl.1" \
	    "$(DESTDIR)$(MANDIR)/man5/portd.conf.5" \
	    "$(DESTDIR)$(MANDIR)/man8/portd.8" \
	    "$(DESTDIR)$(UNITDIR)/portd.service" \
	    "$(DESTDIR)$(UNITDIR)/portd.socket"
	@[ ! -e "$(DESTDIR)$(SYSCONFDIR)/portd/portd.conf" ] || echo "keeping \
	$(DESTDIR)$(SYSCONFDIR)/portd/portd.conf (remove it by hand)"

# Checks that need no root: the man pages with mandoc -Tlint (a manual
# referenced but not installed on this machine is not the page's fault),
# the units with systemd-analyze verify against the built portd.
.PHONY: lint-man check-units
lint-man:
	@out=$$(mandoc -Tlint man/*.[158] 2>&1 | grep -v \
	    -e 'referenced manual not found' -e 'outdated mandoc.db'); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

check-units: all
	@d=$$(mktemp -d) && \
	sed 's|@SBINDIR@|$(CURDIR)/$(BUILD)|g' systemd/portd.service \
	    >"$$d/portd.service" && cp systemd/portd.socket "$$d/" && \
	systemd-analyze verify --man=no "$$d/portd.service" \
	    "$$d/portd.socket"; rc=$$?; rm -rf "$$d"; exit $$rc

clean:
	rm -rf build build-asan

-include $(COMMON_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(CLIENT_OBJS:.o=.d)
