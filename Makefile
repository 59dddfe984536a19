# unscatter - delivery-time classifier of bounces and other automated replies.
# Plain make; dependencies found with pkg-config (Debian: libgmime-3.0-dev libtre-dev
# libcdb-dev, and libgpgme-dev libunistring-dev libidn2-dev for the static link, see LINK).

VERSION = 0.1

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
RULESDIR ?= $(DATADIR)/unscatter/rules
MANDIR ?= $(DATADIR)/man
# Dovecot's Sieve runs programs only from a folder of its own (sieve_filter_bin_dir).
SIEVEBINDIR ?= $(PREFIX)/lib/unscatter/sieve-bin
SYSCONFDIR ?= /etc
DESTDIR ?=

PKG_CONFIG ?= pkg-config
PKGS = gmime-3.0 tre libcdb

# Objects and binaries go to $(BUILD), so a sanitizer build can sit beside the normal one.
BUILD ?= build

CFLAGS ?= -O2 -g
override CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-fstack-protector-strong $(CFLAGS)
override CPPFLAGS := -Iinclude -I$(BUILD) -D_GNU_SOURCE \
	$(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CPPFLAGS)
# Do not load libraries nothing uses: every shared object costs start-up time.
override LDFLAGS := -Wl,--as-needed $(LDFLAGS)
# GMime, GLib and their own dependencies cost about 1 ms of dynamic linking
# per run (20 shared objects, thousands of symbol relocations). LINK=static
# (the default) links the archives Debian's -dev packages ship for the
# libraries of STATIC_LIBS, and the rest dynamically: a library without
# its archive, and libmount and what it needs (Debian ships no libmount.a),
# though classify/nogio.c keeps those out of the link, so that only libc
# is loaded.
# LINK=dynamic links every library dynamically.
LINK ?= static
STATIC_LIBS = gmime-3.0 gio-2.0 gobject-2.0 gmodule-2.0 glib-2.0 pcre2-8 ffi tre cdb \
	gpgme assuan gpg-error z idn2 unistring
ifeq ($(LINK),static)
# GMime's .pc names gpgme and libidn2 but not what their archives need
# in turn (libassuan, libunistring); their own .pc files do.
PKG_LIBS := $(shell $(PKG_CONFIG) --static --libs $(PKGS)) \
	$(shell $(PKG_CONFIG) --silence-errors --static --libs gpgme libidn2)
STATIC_FOUND := $(foreach l,$(STATIC_LIBS),$(if $(wildcard $(shell $(CC) -print-file-name=lib$(l).a)),-l$(l)))
DYNAMIC_LIBS := $(filter-out $(STATIC_FOUND),$(PKG_LIBS))
# Every library left dynamic needs its .so (a -dev package may be missing,
# e.g. libgpgme-dev): else everything is linked dynamically.
DYNAMIC_MISSING := $(foreach l,$(patsubst -l%,%,$(filter-out -lm -ldl -lpthread,$(filter -l%,$(DYNAMIC_LIBS)))),\
	$(if $(wildcard $(shell $(CC) -print-file-name=lib$(l).so)),,$(l)))
endif
ifeq ($(LINK)$(strip $(DYNAMIC_MISSING)),static)
LDLIBS += -Wl,-Bstatic $(filter $(STATIC_FOUND),$(PKG_LIBS)) -Wl,-Bdynamic $(DYNAMIC_LIBS)
else
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS))
endif

# Every module but main; the unit tests link against these.
MODULES = verdict explain message input mime quote prefilter rulecache rules relay config \
	batv lists recipient storm harvest \
	provenance detect reasons bounce classify output \
	mbox walk scanout refile scan
ifeq ($(LINK)$(strip $(DYNAMIC_MISSING)),static)
# Keeps libmount and what it needs out of the link (classify/nogio.c).
MODULES += nogio
endif
OBJS = $(MODULES:%=$(BUILD)/%.o)
HEADERS = $(wildcard include/*.h)

UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test-*.c))

# Fuzz targets: every fuzz/NAME.c but the replay driver (see fuzz/fuzz.h).
FUZZ_TARGETS = $(filter-out replay,$(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c)))
# Each target also as a plain program replaying files (tests/regress.t).
FUZZ_REPLAYS = $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz-%)
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all

.PHONY: FORCE all check check-sanitize fuzz fuzz-build accuracy reasons bench bench-scan bench-compare bench-rules bench-bounces demo install uninstall clean

all: $(BUILD)/unscatter

$(BUILD)/%.o: classify/%.c $(HEADERS) $(BUILD)/paths.h | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Compiled-in paths and version, rewritten only when they change, so that
# "make install PREFIX=..." after a plain "make" rebuilds what depends on them.
$(BUILD)/paths.h: FORCE | $(BUILD)
	@printf '#define US_VERSION "%s"\n#define US_SYSCONFDIR "%s"\n#define US_RULESDIR "%s"\n' \
		'$(VERSION)' '$(SYSCONFDIR)' '$(RULESDIR)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

FORCE:

$(BUILD)/unscatter: $(BUILD)/main.o $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(OBJS) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

$(BUILD)/tests/fuzz-%: fuzz/%.c fuzz/replay.c fuzz/fuzz.h $(OBJS) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) -Ifuzz -DFUZZ_TOP='"$(CURDIR)"' $(CFLAGS) $(LDFLAGS) -o $@ $< fuzz/replay.c $(OBJS) $(LDLIBS)

# libFuzzer binaries (only built by "make fuzz", with clang).
$(BUILD)/fuzz/%: fuzz/%.c fuzz/fuzz.h $(OBJS) | $(BUILD)/fuzz
	$(CC) $(CPPFLAGS) -Ifuzz -DFUZZ_TOP='"$(CURDIR)"' $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

$(BUILD) $(BUILD)/tests $(BUILD)/fuzz:
	mkdir -p $@

# The whole suite: unit tests, command-line tests, corpus accuracy floors.
check: $(BUILD)/unscatter $(UNIT_TESTS) $(FUZZ_REPLAYS)
	UNSCATTER=$(CURDIR)/$(BUILD)/unscatter UNIT_DIR=$(CURDIR)/$(BUILD)/tests SANITIZE=$(SANITIZE) \
		sh tests/run

# Same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
check-sanitize:
	$(MAKE) BUILD=build-san CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" SANITIZE=1 check

# Fuzzing (not part of check): build every target with clang, libFuzzer,
# ASan and UBSan in build-fuzz/, then run each for FUZZ_SECONDS (fuzz/run.sh).
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) \
		CFLAGS="-O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
		LDFLAGS="$(FUZZ_SAN)" $(FUZZ_TARGETS:%=build-fuzz/fuzz/%)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh build-fuzz $(FUZZ_TARGETS)

# Confusion matrix and per-class precision/recall over ../shared/corpus.
accuracy: $(BUILD)/unscatter
	sh tests/accuracy.sh $(BUILD)/unscatter

# Bounce reasons against the reasons Sisimai expects for the corpus.
reasons: $(BUILD)/unscatter
	sh tests/reasons.sh $(BUILD)/unscatter

# One-shot timing over a set of corpus messages (not a test).
bench: $(BUILD)/unscatter
	sh tests/bench.sh $(BUILD)/unscatter

# Benchmarks in bench/ (not tests): side by side with SpamAssassin VBounce
# (installs it from Debian when missing), and time against rule count.
$(BUILD)/bench/runmany: bench/runmany.c | $(BUILD)/bench
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/bench:
	mkdir -p $@

bench-compare: $(BUILD)/unscatter $(BUILD)/bench/runmany
	sh bench/compare-sa.sh $(BUILD)/unscatter

bench-rules: $(BUILD)/unscatter $(BUILD)/bench/runmany
	sh bench/rules-scaling.sh $(BUILD)/unscatter

bench-bounces: $(BUILD)/unscatter $(BUILD)/bench/runmany
	sh bench/bounces.sh $(BUILD)/unscatter $(BUILD)/bench/runmany

# Batch throughput of "unscatter scan" over the whole corpus (not a test).
bench-scan: $(BUILD)/unscatter
	sh tests/bench-scan.sh $(BUILD)/unscatter

# Classify the example messages in samples/ with the example config.
demo: $(BUILD)/unscatter
	@for f in samples/*.eml; do \
		printf '%-40s ' "$$f"; \
		$(BUILD)/unscatter -c samples/unscatter.conf --terse < "$$f" || exit 1; \
	done

install: $(BUILD)/unscatter
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(RULESDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(BUILD)/unscatter $(DESTDIR)$(BINDIR)/unscatter
	install -d $(DESTDIR)$(SIEVEBINDIR)
	ln -sf $(BINDIR)/unscatter $(DESTDIR)$(SIEVEBINDIR)/unscatter
	install -m 644 rules/*.rules rules/*.reasons rules/unlikely-localparts $(DESTDIR)$(RULESDIR)/
	# Builds the rules' cache (rulecache.h) beside them: one run on an
	# empty message. Optional, so a failure does not fail the install.
	-$(DESTDIR)$(BINDIR)/unscatter -c /dev/null -R $(DESTDIR)$(RULESDIR) -t </dev/null >/dev/null
	install -m 644 man/unscatter.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/unscatter.conf.5 man/unscatter-rules.5 $(DESTDIR)$(MANDIR)/man5/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/unscatter $(DESTDIR)$(MANDIR)/man1/unscatter.1 \
		$(DESTDIR)$(MANDIR)/man5/unscatter.conf.5 $(DESTDIR)$(MANDIR)/man5/unscatter-rules.5
	rm -rf $(DESTDIR)$(RULESDIR)
	-rmdir $(DESTDIR)$(DATADIR)/unscatter
	rm -f $(DESTDIR)$(SIEVEBINDIR)/unscatter
	-rmdir $(DESTDIR)$(SIEVEBINDIR) $(DESTDIR)$(PREFIX)/lib/unscatter

clean:
	rm -rf build build-san build-fuzz
	rm -f rules/.unscatter-rules.cache rules/.unscatter-rules.cache.*
