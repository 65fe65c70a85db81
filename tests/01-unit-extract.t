#!/bin/sh
# Unit tests of the extract module (tests/unit_extract.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_extract"
