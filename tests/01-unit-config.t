#!/bin/sh
# Unit tests of the configuration file's reader (tests/unit_config.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_config"
