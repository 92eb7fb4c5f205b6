/*
 * assign_256.c -- time to assign 256 drones to 256 formation slots.
 *
 * Drones scattered over a 1 km square (from a fixed seed) take the slots of
 * a 16 x 16 grid 10 m apart; the cost is the distance each would fly.  The
 * figure is the best of 20 runs of sl_assign (the Hungarian algorithm at
 * this size: optimal), in milliseconds; also the greedy on the same input,
 * and how much longer its total distance is.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "swarm/assign.h"

enum { N = 256, RUNS = 20 };

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double uniform(void) { /* xorshift64*, [0, 1) */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double total(const double *cost, const uint32_t *slot_of) {
  double s = 0;
  for (int i = 0; i < N; i++)
    s += cost[i * N + slot_of[i]];
  return s;
}

static double best_ms(int (*fn)(const double *, uint32_t, uint32_t *),
                      const double *cost, uint32_t *slot_of) {
  double best = 1e30;
  for (int r = 0; r < RUNS; r++) {
    uint64_t t0 = uv_hrtime();
    if (fn(cost, N, slot_of) != 0)
      return -1;
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    best = ms < best ? ms : best;
  }
  return best;
}

int main(void) {
  static double cost[N * N];
  static uint32_t opt[N], greedy[N];
  double dx[N], dy[N];
  for (int i = 0; i < N; i++) {
    dx[i] = uniform() * 1000;
    dy[i] = uniform() * 1000;
  }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double sx = 500 + (j % 16) * 10.0, sy = 500 + (j / 16) * 10.0;
      cost[i * N + j] = hypot(dx[i] - sx, dy[i] - sy);
    }
  double ms = best_ms(sl_assign, cost, opt);
  double gms = best_ms(sl_assign_greedy, cost, greedy);
  if (ms < 0 || gms < 0)
    return 1;
  double to = total(cost, opt), tg = total(cost, greedy);
  printf("# assign_256: optimal total %.1f m in %.3f ms; greedy %.1f m "
         "(+%.2f%%) in %.3f ms\n",
         to, ms, tg, 100 * (tg - to) / to, gms);
  printf("bench assign_256 %.3f ms\n", ms);
  printf("bench assign_256_greedy %.3f ms\n", gms);
  return tg + 1e-6 >= to ? 0 : 1; /* the optimum is never beaten */
}
