/*
 * rng.h -- the engine's seeded random number generator.
 *
 * xoshiro256** seeded through splitmix64: fast, small state, and good enough
 * statistics for scattering targets and drawing mission UUIDs.  Every random
 * choice in a swarm comes from its engine's generator, so a seed fixes a run.
 */
#ifndef SL_RNG_H
#define SL_RNG_H

#include <stdint.h>

typedef struct sl_rng {
  uint64_t s[4];
} sl_rng;

void sl_rng_seed(sl_rng *r, uint64_t seed);
uint64_t sl_rng_next(sl_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double sl_rng_double(sl_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t sl_rng_below(sl_rng *r, uint64_t n);

#endif
