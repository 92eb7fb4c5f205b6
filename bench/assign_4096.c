/*
 * assign_4096.c -- time to assign 4,096 drones to 4,096 formation slots,
 * the most one formation flies.
 *
 * The drones sit where spawn_fleet puts them (bases 50 m apart, ten to a
 * row: a 450 m x 20 km strip) and take the slots of a 64 x 64 grid 10 m
 * apart at (1000, 1000, 30): what `team:formation("grid", ...)` does for
 * a whole fleet.  Beyond 256 drones the assignment is the greedy nearest
 * pairs; the figure is sl_assign_greedy_points (a k-d tree of the free
 * slots and a heap), best of 5 runs, in ms.  With --matrix it also times
 * sl_assign_greedy on the cost matrix (the n^2 pairs sorted: the method
 * before, 400 MB) and checks that both make the same pairs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "swarm/assign.h"

enum { N = 4096, RUNS = 5 };

int main(int argc, char **argv) {
  int matrix = argc > 1 && strcmp(argv[1], "--matrix") == 0;
  static sl_vec3 from[N], to[N];
  static uint32_t slot_of[N], ref[N];
  for (int i = 0; i < N; i++) {
    from[i] = sl_v3((i % 10) * 50.0, (i / 10) * 50.0, 0);
    to[i] =
        sl_v3(1000 + ((i % 64) - 31.5) * 10, 1000 + ((i / 64) - 31.5) * 10, 30);
  }
  double best = 1e30;
  for (int r = 0; r < RUNS; r++) {
    uint64_t t0 = uv_hrtime();
    if (sl_assign_greedy_points(from, to, N, slot_of) != 0)
      return 1;
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    best = ms < best ? ms : best;
  }
  double total = 0;
  for (int i = 0; i < N; i++)
    total += sl_v3_dist(from[i], to[slot_of[i]]);
  printf("# assign_4096: greedy nearest pairs, %.0f m in all, in %.3f ms\n",
         total, best);
  if (matrix) {
    double *cost = malloc((size_t)N * N * sizeof(*cost));
    if (cost == NULL)
      return 1;
    uint64_t t0 = uv_hrtime();
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        double dx = from[i].x - to[j].x, dy = from[i].y - to[j].y,
               dz = from[i].z - to[j].z;
        cost[(size_t)i * N + j] = sqrt(dx * dx + dy * dy + dz * dz);
      }
    int rc = sl_assign_greedy(cost, N, ref);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    free(cost);
    if (rc != 0)
      return 1;
    int same = memcmp(ref, slot_of, sizeof ref) == 0;
    printf("# assign_4096: on the cost matrix (built and sorted) %.1f ms, "
           "%s pairs\n",
           ms, same ? "the same" : "DIFFERENT");
    if (!same)
      return 1;
  }
  printf("bench assign_4096 %.3f ms\n", best);
  return 0;
}
