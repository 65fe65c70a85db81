/* tap.h: the smallest TAP producer that serves the unit tests. ok() records a
 * check and prints file:line when it fails; done_testing() prints the plan and
 * sets the exit status, so `prove` sees every failure. */
#ifndef CORRAL_TAP_H
#define CORRAL_TAP_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {                                                   \
	int tap_c_ = !!(cond);                                               \
	printf("%sok %d - ", tap_c_ ? "" : "not ", ++tap_n);                 \
	printf(__VA_ARGS__);                                                 \
	printf("\n");                                                        \
	if (!tap_c_) {                                                       \
		tap_failed++;                                                \
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}                                                                    \
	fflush(stdout);                                                      \
} while (0)

#define is_int(got, want, ...) do {                                          \
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);     \
	ok(tap_g_ == tap_w_, __VA_ARGS__);                                   \
	if (tap_g_ != tap_w_)                                                \
		printf("#   got %lld, want %lld\n", tap_g_, tap_w_);         \
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Seconds on the monotonic clock. */
static inline double tap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 64-bit xorshift: the same sequence on every run and machine. */
static inline uint64_t tap_rand(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

#endif
