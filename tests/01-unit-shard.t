#!/bin/sh
# Unit tests of the shard rule (tests/unit_shard.c).
exec ${CORRAL_VALGRIND:-} "${CORRAL_BUILD:-build}/tests/unit_shard"
