#!/bin/sh
# Unit tests of the progress display's text (tests/unit_progress.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_progress"
