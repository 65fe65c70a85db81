#!/bin/sh
# Unit tests of the archive handler on a generated hostile corpus (tests/unit_archive.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_archive"
