#!/bin/sh
# Unit tests of the metrics' histograms (tests/unit_stats.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_stats"
