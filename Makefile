# corral — one plain Makefile. `make`, `make test`, `make demo`, `make install`.
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PKGS     := msgpack lmdb libarchive libcrypto libseccomp inih libsystemd libmicrohttpd
SAN      ?=
OPT      ?= -O2 -g

CFLAGS   ?= $(OPT)
CFLAGS   += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -D_GNU_SOURCE -Iinclude -I. $(SAN)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libmicrohttpd is opened by the web server when it starts (http.c), not
# linked: loading it (and its TLS stack) slowed every start, a child's too.
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libmicrohttpd,$(PKGS)) 2>/dev/null)
# ... by the SONAME of the library built against (Debian 12: libmicrohttpd.so.12).
MHD_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir libmicrohttpd 2>/dev/null)/libmicrohttpd.so" \
                2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
CFLAGS     += -DMHD_SONAME='"$(or $(MHD_SONAME),libmicrohttpd.so.12)"'
# Debian's libev ships no pkg-config file.
EV_LIBS    := $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
LDFLAGS  += $(SAN)
LDLIBS   := $(PKG_LIBS) $(EV_LIBS) -ldl -lm

B := build

.DEFAULT_GOAL := all

COMMON_SRC := common/log.c common/parse.c common/utf8.c common/expand.c common/shard.c common/filter.c
IPC_SRC    := ipc/frame.c ipc/schema.c ipc/msg.c ipc/ctl.c ipc/mpcheck.c ipc/jobopts.c
CLI_SRC    := cli/main.c cli/run.c cli/report.c cli/progress.c cli/progress_text.c cli/config.c cli/serve.c cli/client.c cli/rows.c cli/dryrun.c cli/output.c cli/changed.c cli/replay.c cli/why.c cli/usage.c cli/stats_file.c
SUP_SRC    := supervisor/sup.c supervisor/halt.c supervisor/jobs.c supervisor/sched.c supervisor/full.c supervisor/hold.c supervisor/slot.c supervisor/spawn.c supervisor/slot_io.c supervisor/death.c supervisor/damp.c supervisor/damping.c \
              supervisor/job.c supervisor/scan.c supervisor/store.c supervisor/store_read.c supervisor/store_bulk.c supervisor/store_inputs.c supervisor/store_history.c supervisor/record.c supervisor/json.c supervisor/stats.c \
              supervisor/outdir.c supervisor/recheck.c supervisor/errlog.c supervisor/spec.c supervisor/notify.c supervisor/control.c supervisor/view.c supervisor/http.c supervisor/page.c supervisor/metrics.c supervisor/strike.c
CHILD_SRC  := child/worker.c child/result.c child/handlers/archive.c \
              child/handlers/sha256.c child/handlers/exec.c child/handlers/plugin.c \
              child/keeper.c
CHILD_SRC  += child/archive/walk.c child/archive/judge.c child/archive/reasons.c child/archive/names.c
CHILD_SRC  += child/archive/zip.c child/archive/formats.c child/archive/survey.c
CHILD_SRC  += child/extract.c child/extract_names.c
CHILD_SRC  += child/sandbox.c

CORRAL_SRC := $(COMMON_SRC) $(IPC_SRC) $(CLI_SRC) $(SUP_SRC) $(CHILD_SRC)
CORRAL_OBJ := $(CORRAL_SRC:%.c=$(B)/%.o)

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
IPC_OBJ    := $(IPC_SRC:%.c=$(B)/%.o)

# Unit tests: each links only the modules it tests.
UNIT_TESTS := $(B)/tests/unit_parse $(B)/tests/unit_ipc $(B)/tests/unit_ctl $(B)/tests/unit_mpcheck \
              $(B)/tests/unit_json $(B)/tests/unit_store $(B)/tests/unit_result
$(B)/tests/unit_parse:  $(COMMON_OBJ)
$(B)/tests/unit_ipc:    $(IPC_OBJ) $(COMMON_OBJ)
$(B)/tests/unit_ctl:    $(IPC_OBJ) $(COMMON_OBJ)
$(B)/tests/unit_mpcheck: $(IPC_OBJ) $(COMMON_OBJ)
$(B)/tests/unit_json:   $(B)/supervisor/json.o $(IPC_OBJ) $(COMMON_OBJ)
$(B)/tests/unit_store:  $(B)/supervisor/store.o $(B)/supervisor/store_read.o $(B)/supervisor/store_bulk.o $(B)/supervisor/store_inputs.o $(B)/supervisor/store_history.o $(B)/supervisor/record.o $(IPC_OBJ) $(COMMON_OBJ)
$(B)/tests/unit_result: $(B)/child/result.o $(IPC_OBJ) $(COMMON_OBJ)
UNIT_TESTS += $(B)/tests/unit_extract
$(B)/tests/unit_extract: $(B)/child/extract.o $(B)/child/extract_names.o $(B)/child/archive/reasons.o $(B)/child/archive/formats.o $(COMMON_OBJ)
UNIT_TESTS += $(B)/tests/unit_archive
ARCHIVE_OBJ := $(B)/child/handlers/archive.o $(B)/child/archive/walk.o $(B)/child/archive/judge.o \
               $(B)/child/archive/reasons.o $(B)/child/archive/names.o $(B)/child/archive/zip.o \
               $(B)/child/archive/formats.o $(B)/child/archive/survey.o $(B)/child/extract.o $(B)/child/extract_names.o
$(B)/tests/unit_archive: $(ARCHIVE_OBJ) $(B)/child/result.o $(IPC_OBJ) $(COMMON_OBJ) $(B)/tests/mkhostile
UNIT_TESTS += $(B)/tests/unit_sandbox
$(B)/tests/unit_sandbox: $(B)/child/sandbox.o $(B)/child/extract.o $(B)/child/extract_names.o $(B)/child/archive/reasons.o $(B)/child/archive/formats.o \
                        $(IPC_OBJ) $(COMMON_OBJ)
UNIT_TESTS += $(B)/tests/unit_slot
$(B)/tests/unit_slot: $(B)/supervisor/slot_io.o $(B)/supervisor/spawn.o $(B)/supervisor/death.o $(B)/supervisor/damp.o $(B)/supervisor/errlog.o $(B)/supervisor/stats.o \
                     $(IPC_OBJ) $(COMMON_OBJ) supervisor/slot.c
UNIT_TESTS += $(B)/tests/unit_config $(B)/tests/unit_notify $(B)/tests/unit_progress
UNIT_TESTS += $(B)/tests/unit_stats $(B)/tests/unit_damp
$(B)/tests/unit_damp: $(B)/supervisor/damp.o
$(B)/tests/unit_stats: $(B)/supervisor/stats.o
$(B)/tests/unit_progress: $(B)/cli/progress_text.o $(COMMON_OBJ)
$(B)/tests/unit_config: $(B)/cli/config.o $(COMMON_OBJ)
$(B)/tests/unit_notify: $(B)/supervisor/notify.o
UNIT_TESTS += $(B)/tests/unit_shard
$(B)/tests/unit_shard: $(COMMON_OBJ)
UNIT_TESTS += $(B)/tests/unit_filter
$(B)/tests/unit_filter: $(COMMON_OBJ)
UNIT_TESTS += $(B)/tests/unit_record
$(B)/tests/unit_record: $(B)/supervisor/record.o $(IPC_OBJ) $(COMMON_OBJ)
# A worker that speaks the protocol wrongly on purpose, for the protocol tests.
TEST_BINS  := $(B)/tests/fakeworker
$(B)/tests/fakeworker:  $(IPC_OBJ) $(COMMON_OBJ)
# System calls failing as on a host at its limits (tests/47-host-faults.t):
# built plainly, as a plugin is, to be preloaded.
TEST_BINS  += $(B)/tests/faultinject.so
# The preloaded libraries look up the calls they wrap (dlsym's RTLD_NEXT).
$(B)/tests/faultinject.so $(B)/tests/killsync.so: SO_FLAGS := -D_GNU_SOURCE
# The hostile archive corpus, written at test time (tests/mkhostile.c).
TEST_BINS  += $(B)/tests/mkhostile
$(B)/tests/mkhostile: LDLIBS += -lz
$(B)/tests/mkhostile: $(B)/tests/mkhostile_field.o
# An ISO whose Rock Ridge continuation area loops (tests/30-child-stderr.t).
TEST_BINS  += $(B)/tests/mkceloop
# systemd's notify socket, for the tests of `corral serve` (tests/notifysock.c).
TEST_BINS  += $(B)/tests/notifysock
# A line of each priority through common/log.c (tests/44-log-journal.t).
TEST_BINS  += $(B)/tests/logprio
$(B)/tests/logprio: $(COMMON_OBJ)
# The shim that kills a supervisor at its k-th durable point (tests/torture):
# built plainly, like the plugins, also for the sanitizer build.
TEST_BINS  += $(B)/tests/killsync.so

PLUGINS    := $(B)/examples/count_bytes.so \
              $(patsubst tests/plugins/%.c,$(B)/tests/plugins/%.so,$(wildcard tests/plugins/*.c))

all: corral man

corral: $(CORRAL_OBJ) corral.sym
	$(CC) $(LDFLAGS) -Wl,--dynamic-list=corral.sym -o $@ $(CORRAL_OBJ) $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -rdynamic -o $@ $< $(filter %.o,$^) $(LDLIBS)

# Plugins stand for users' code: built plainly, never with our sanitizers,
# so a crash in one is the crash it would be in the field.
$(B)/%.so: %.c include/corral.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Wall -Wextra -O2 -g -Iinclude -fPIC -shared $(SO_FLAGS) -o $@ $<

plugins: $(PLUGINS)

# The man pages, written in scdoc (docs/*.scd) and made roff here.
MAN_PAGES := $(B)/man/corral.1 $(B)/man/corral.conf.5 $(B)/man/corral-plugin.3
man: $(MAN_PAGES)
$(B)/man/%: docs/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp
	mv $@.tmp $@

units: $(UNIT_TESTS) $(TEST_BINS)

deps:
	@sh scripts/deps.sh

# The side-by-side benchmark (bench/, docs/benchmarks.md).
$(B)/bench/floor: bench/floor.c $(B)/child/handlers/archive.o $(B)/child/result.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LDLIBS)
# result.c sends a handler's progress frames (ipc/).
$(B)/bench/floor: $(B)/child/archive/walk.o $(B)/child/archive/judge.o $(B)/child/archive/reasons.o \
                 $(B)/child/archive/names.o $(B)/child/extract.o $(B)/child/extract_names.o \
                 $(B)/child/archive/zip.o $(B)/child/archive/formats.o $(B)/child/archive/survey.o \
                 $(IPC_OBJ) $(COMMON_OBJ)

# What `corral check` costs a service's clients (bench/run.sh).
$(B)/bench/checkbench: bench/checkbench.c $(IPC_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LDLIBS)

# The plain floor: a libarchive lister with nothing of corral in it.
$(B)/bench/plain: bench/plain.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# The version the benchmark compares against, built from git as it was
# (BENCH_BEFORE, a commit): one more contender, in the same run.
BENCH_BEFORE ?= cc08c90
$(B)/bench/before/corral:
	rm -rf $(B)/bench/before/src
	mkdir -p $(B)/bench/before/src
	git archive $(BENCH_BEFORE) | tar -x -C $(B)/bench/before/src
	$(MAKE) -C $(B)/bench/before/src corral
	cp $(B)/bench/before/src/corral $@
	git rev-parse --short $(BENCH_BEFORE) > $(B)/bench/before/commit

bench-deps: deps
	@sh scripts/deps.sh bench

# Each entry installs first, then builds in a new make that sees the
# libraries pkg-config can now find.
bench: bench-deps
	$(MAKE) corral plugins $(B)/bench/floor $(B)/bench/plain $(B)/bench/checkbench $(B)/bench/before/corral
	bash bench/run.sh full

bench-quick: bench-deps
	$(MAKE) corral plugins $(B)/bench/floor $(B)/bench/plain $(B)/bench/checkbench $(B)/bench/before/corral
	bash bench/run.sh quick

# The crash torture (tests/torture): 500 kills of the supervisor at random
# instants, kills at each durable point, and kills of a service.
torture: corral units plugins
	bash tests/torture --kills 500

check: corral units plugins man
	prove -f tests/*.t

test: deps
	$(MAKE) fuzz
	$(MAKE) check
	$(MAKE) clean-san
	$(MAKE) B=build-san SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
	        OPT='-O1 -g' CORRAL_BUILD=build-san check-san
	$(if $(VALGRIND),$(MAKE) valgrind)

# The unit tests again under memcheck (make valgrind, or make test
# VALGRIND=1), through their tests/01-unit-*.t wrappers. Children that a
# test forks stay under memcheck, quietly, and fail with its exit code;
# programs they exec run natively (--trace-children=no): they are not the
# test's code. unit_sandbox is left out: its walls (RLIMIT_AS, RLIMIT_FSIZE,
# the uid drop) act on valgrind itself; the sanitizer pass runs it.
# LMDB's default map (64 GiB) is more than memcheck can map: 1 GiB here.
VALGRIND_CMD := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
                --trace-children=no --child-silent-after-fork=yes
VALGRIND_UNITS := $(filter-out tests/01-unit-sandbox.t,$(wildcard tests/01-unit-*.t))

valgrind: deps
	@sh scripts/deps.sh valgrind
	$(MAKE) units
	CORRAL_VALGRIND='$(VALGRIND_CMD)' CORRAL_MAPSIZE=$$((1 << 30)) prove -f $(VALGRIND_UNITS)

# The fuzz targets are sanitizer builds already: tests/25-fuzz.t runs them in check only.
check-san: export CORRAL_FUZZ_SECONDS := 0
# The suite again with AddressSanitizer and UBSan on every binary it runs.
check-san: corral-san units plugins man
	CORRAL=$(CURDIR)/corral-san CORRAL_BUILD=$(B) ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 prove -f tests/*.t

corral-san: $(CORRAL_OBJ) corral.sym
	$(CC) $(LDFLAGS) -Wl,--dynamic-list=corral.sym -o $@ $(CORRAL_OBJ) $(LDLIBS)

clean-san:
	rm -rf build-san corral-san

# Fuzzing (docs/fuzzing.md): libFuzzer targets and their seed corpora in
# build-fuzz/, built by clang in a new make once deps are in. The targets
# link one library of the modules they may reach: every child file but the
# worker's main loop, so a file added to CHILD_SRC is in it with no edit here.
FUZZ_SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_LIB_SRC := $(COMMON_SRC) $(IPC_SRC) supervisor/json.c $(filter-out child/worker.c,$(CHILD_SRC)) fuzz/render.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(B)/%.o)

fuzz: deps
	$(MAKE) B=build-fuzz CC=clang SAN='$(FUZZ_SAN) -fsanitize=fuzzer-no-link' OPT='-O1 -g' fuzz-targets

fuzz-targets: $(B)/fuzz_ipc_decode $(B)/fuzz_ctl_decode $(B)/fuzz_archive $(B)/corpus/.done

$(B)/libfuzz.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/fuzz_%: fuzz/%.c $(B)/libfuzz.a
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< $(B)/libfuzz.a $(LDLIBS)

$(B)/fuzz-seeds: fuzz/seeds.c $(B)/libfuzz.a
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< $(B)/libfuzz.a $(LDLIBS)

$(B)/corpus/.done: $(B)/fuzz-seeds
	rm -rf $(B)/corpus
	$(B)/fuzz-seeds $(B)/corpus
	touch $@

clean-fuzz:
	rm -rf build-fuzz

clean: clean-fuzz
.PHONY: fuzz fuzz-targets clean-fuzz
-include $(wildcard $(B)/fuzz_*.d $(B)/fuzz-seeds.d)

# Static analysis (make lint): cppcheck, then clang-tidy with .clang-tidy
# (and those of tests/, fuzz/ and bench/), over every .c file of the
# project with the build's -D and -I flags. Any finding fails it. cppcheck
# takes no system include path: its posix library knows libc, and the
# -Dnoreturn stands for <stdnoreturn.h>; -UF_OK keeps the library's F_OK
# macro off ipc/ipc_int.h's field of that name.
LINT_SRC  := $(CORRAL_SRC) $(sort $(wildcard tests/*.c tests/plugins/*.c fuzz/*.c bench/*.c examples/*.c))
LINT_JOBS ?= 2
CPPCHECK_FLAGS := --std=c11 --language=c --library=posix --library=scripts/cppcheck.cfg \
                  -D_GNU_SOURCE '-Dnoreturn=__attribute__((noreturn))' -UF_OK -Iinclude -I. \
                  --enable=warning,portability,performance --inline-suppr \
                  --suppressions-list=scripts/cppcheck.supp --error-exitcode=1 --quiet \
                  --template='{file}:{line}: {severity}: {message} [{id}]'
TIDY_FLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude -I. $(PKG_CFLAGS)

lint: deps
	@sh scripts/deps.sh lint
	$(MAKE) lint-run

lint-run:
	@rc=0; \
	echo "cppcheck: $(words $(LINT_SRC)) files"; \
	cppcheck -j$(LINT_JOBS) $(CPPCHECK_FLAGS) $(filter -D%,$(PKG_CFLAGS)) $(LINT_SRC) || rc=1; \
	echo "clang-tidy: $(words $(LINT_SRC)) files"; \
	mkdir -p $(B); \
	printf '%s\n' $(LINT_SRC) | xargs -P$(LINT_JOBS) -I{} clang-tidy --quiet {} -- $(TIDY_FLAGS) \
	    2>$(B)/clang-tidy.err || rc=1; \
	grep -v 'warnings\{0,1\} generated\.$$' $(B)/clang-tidy.err; \
	if [ $$rc = 0 ]; then echo "lint: clean"; else echo "lint: findings above"; fi; \
	exit $$rc

demo: deps
	$(MAKE) corral
	sh scripts/demo.sh

# The service's files go where systemd looks (its pkg-config file says
# where; without one, under PREFIX). The config file goes to /etc/corral,
# the path corral.service names, and is never overwritten: an edited one is
# kept by install and by uninstall alike. The corral user and the state in
# /var/lib/corral are left to the operator. The bash completion goes where
# bash-completion loads it from on demand. corral.pc, for plugin authors,
# holds cflags only and nothing that depends on the architecture: it goes
# to share/pkgconfig, as systemd.pc does. The example plugin goes with the
# docs. There is no worker to install: corral runs itself as its worker.
BINDIR      := $(PREFIX)/bin
INCLUDEDIR  := $(PREFIX)/include
PCDIR       := $(PREFIX)/share/pkgconfig
DOCDIR      := $(PREFIX)/share/doc/corral
# The version corral --version prints.
VERSION     := $(shell sed -n 's/^\#define CORRAL_VERSION "\(.*\)"$$/\1/p' common/version.h)
UNITDIR     ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),$(PREFIX)/lib/systemd/system)
SYSUSERSDIR ?= $(or $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null),$(PREFIX)/lib/sysusers.d)
TMPFILESDIR ?= $(or $(shell pkg-config --variable=tmpfilesdir systemd 2>/dev/null),$(PREFIX)/lib/tmpfiles.d)
CONFDIR     := /etc/corral
COMPLDIR    ?= $(or $(shell pkg-config --variable=completionsdir bash-completion 2>/dev/null),$(PREFIX)/share/bash-completion/completions)

install: corral
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(CONFDIR) $(DESTDIR)$(COMPLDIR)
	install -m 755 corral $(DESTDIR)$(BINDIR)/corral
	install -m 644 include/corral.h $(DESTDIR)$(INCLUDEDIR)/corral.h
	sed -e 's|@prefix@|$(PREFIX)|g' -e 's|@version@|$(VERSION)|g' corral.pc.in > $(DESTDIR)$(PCDIR)/corral.pc
	chmod 644 $(DESTDIR)$(PCDIR)/corral.pc
	install -m 644 examples/count_bytes.c examples/README.md $(DESTDIR)$(DOCDIR)/examples
	sed 's|@bindir@|$(BINDIR)|g' systemd/corral.service > $(DESTDIR)$(UNITDIR)/corral.service
	chmod 644 $(DESTDIR)$(UNITDIR)/corral.service
	install -m 644 systemd/corral.socket $(DESTDIR)$(UNITDIR)/corral.socket
	install -m 644 systemd/corral-http.socket $(DESTDIR)$(UNITDIR)/corral-http.socket
	install -m 644 systemd/corral.sysusers $(DESTDIR)$(SYSUSERSDIR)/corral.conf
	install -m 644 systemd/corral.tmpfiles $(DESTDIR)$(TMPFILESDIR)/corral.conf
	install -m 644 completion/corral.bash $(DESTDIR)$(COMPLDIR)/corral
	[ -e $(DESTDIR)$(CONFDIR)/corral.conf ] || install -m 644 systemd/corral.conf $(DESTDIR)$(CONFDIR)/corral.conf

# After the files, the directories install made go when they are empty,
# and none that holds anything else: corral's own (/etc/corral and the
# docs) always; the shared ones (bin, include, share/man/man1, ...) and the
# parents of all of them only in a DESTDIR, where install made them, up to
# and not including DESTDIR itself. On a live system those were there
# before corral and stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/corral $(DESTDIR)$(INCLUDEDIR)/corral.h $(DESTDIR)$(PCDIR)/corral.pc \
	    $(DESTDIR)$(DOCDIR)/examples/count_bytes.c $(DESTDIR)$(DOCDIR)/examples/README.md \
	    $(DESTDIR)$(UNITDIR)/corral.service $(DESTDIR)$(UNITDIR)/corral.socket \
	    $(DESTDIR)$(UNITDIR)/corral-http.socket \
	    $(DESTDIR)$(SYSUSERSDIR)/corral.conf $(DESTDIR)$(TMPFILESDIR)/corral.conf \
	    $(DESTDIR)$(COMPLDIR)/corral
	if cmp -s systemd/corral.conf $(DESTDIR)$(CONFDIR)/corral.conf; then \
	    rm -f $(DESTDIR)$(CONFDIR)/corral.conf; \
	elif [ -e $(DESTDIR)$(CONFDIR)/corral.conf ]; then \
	    echo "corral: $(DESTDIR)$(CONFDIR)/corral.conf was edited: kept"; fi
	for d in $(CONFDIR) $(DOCDIR)/examples $(DOCDIR); do rmdir $(DESTDIR)$$d 2>/dev/null || true; done
	[ -z "$(DESTDIR)" ] || for d in $(CONFDIR) $(DOCDIR) $(BINDIR) $(INCLUDEDIR) $(PCDIR) $(UNITDIR) \
	    $(SYSUSERSDIR) $(TMPFILESDIR) $(COMPLDIR) $(addprefix $(MANDIR)/,man1 man3 man5); do \
	    d=$(DESTDIR)$$d; while [ "$$d" != "$(DESTDIR)" ] && [ "$${d%/*}" != "$$d" ] && \
	        { [ ! -e "$$d" ] || rmdir "$$d" 2>/dev/null; }; do d=$${d%/*}; done; \
	done

# The man pages go under PREFIX/share/man.
MANDIR := $(PREFIX)/share/man
install: install-man
uninstall: uninstall-man
install-man: man
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(B)/man/corral.1 $(DESTDIR)$(MANDIR)/man1/corral.1
	install -m 644 $(B)/man/corral.conf.5 $(DESTDIR)$(MANDIR)/man5/corral.conf.5
	install -m 644 $(B)/man/corral-plugin.3 $(DESTDIR)$(MANDIR)/man3/corral-plugin.3
uninstall-man:
	rm -f $(DESTDIR)$(MANDIR)/man1/corral.1 $(DESTDIR)$(MANDIR)/man5/corral.conf.5 \
	    $(DESTDIR)$(MANDIR)/man3/corral-plugin.3
.PHONY: man install-man uninstall-man

clean:
	rm -rf build build-san corral corral-san

.PHONY: all deps bench bench-deps bench-quick test check torture check-san clean clean-san demo install uninstall \
        plugins units lint lint-run valgrind

-include $(CORRAL_OBJ:.o=.d)
