# unscatter - delivery-time classifier of bounces and other automated replies.
# Plain make; dependencies found with pkg-config (Debian: libgmime-3.0-dev libtre-dev libcdb-dev).

VERSION = 0.1

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
RULESDIR ?= $(DATADIR)/unscatter/rules
MANDIR ?= $(DATADIR)/man
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
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS))
# Do not load libraries nothing uses: every shared object costs start-up time.
override LDFLAGS := -Wl,--as-needed $(LDFLAGS)

# Every module but main; the unit tests link against these.
MODULES = verdict explain message input mime quote prefilter rules relay config \
	provenance detect reasons bounce classify output
OBJS = $(MODULES:%=$(BUILD)/%.o)
HEADERS = $(wildcard include/*.h)

UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test-*.c))

.PHONY: FORCE all check check-sanitize accuracy reasons bench demo install uninstall clean

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

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

# The whole suite: unit tests, command-line tests, corpus accuracy floors.
check: $(BUILD)/unscatter $(UNIT_TESTS)
	UNSCATTER=$(CURDIR)/$(BUILD)/unscatter UNIT_DIR=$(CURDIR)/$(BUILD)/tests SANITIZE=$(SANITIZE) \
		sh tests/run

# Same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
check-sanitize:
	$(MAKE) BUILD=build-san CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" SANITIZE=1 check

# Confusion matrix and per-class precision/recall over ../shared/corpus.
accuracy: $(BUILD)/unscatter
	sh tests/accuracy.sh $(BUILD)/unscatter

# Bounce reasons against the reasons Sisimai expects for the corpus.
reasons: $(BUILD)/unscatter
	sh tests/reasons.sh $(BUILD)/unscatter

# One-shot timing over a set of corpus messages (not a test).
bench: $(BUILD)/unscatter
	sh tests/bench.sh $(BUILD)/unscatter

# Classify the example messages in samples/ with the example config.
demo: $(BUILD)/unscatter
	@for f in samples/*.eml; do \
		printf '%-40s ' "$$f"; \
		$(BUILD)/unscatter -c samples/unscatter.conf --terse < "$$f" || exit 1; \
	done

install: $(BUILD)/unscatter
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(RULESDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(BUILD)/unscatter $(DESTDIR)$(BINDIR)/unscatter
	install -m 644 rules/*.rules rules/*.reasons $(DESTDIR)$(RULESDIR)/
	install -m 644 man/unscatter.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/unscatter.conf.5 man/unscatter-rules.5 $(DESTDIR)$(MANDIR)/man5/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/unscatter $(DESTDIR)$(MANDIR)/man1/unscatter.1 \
		$(DESTDIR)$(MANDIR)/man5/unscatter.conf.5 $(DESTDIR)$(MANDIR)/man5/unscatter-rules.5
	rm -rf $(DESTDIR)$(RULESDIR)
	-rmdir $(DESTDIR)$(DATADIR)/unscatter

clean:
	rm -rf build build-san
