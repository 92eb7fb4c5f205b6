/* Tests for slot assignment (engine/swarm/assign.c): optimal against brute
 * force, the greedy fallback, bad input. */
#include "swarm/assign.h"
#include "rt/error.h"
#include "rt/rng.h"
#include "t.h"

static double total(const double *c, uint32_t n, const uint32_t *slot) {
  double s = 0;
  for (uint32_t i = 0; i < n; i++)
    s += c[i * n + slot[i]];
  return s;
}

/* The best total over every permutation (n <= 8). */
static double brute(const double *c, uint32_t n, uint32_t *perm, uint32_t k,
                    char *used, double acc, double best) {
  if (k == n)
    return acc < best ? acc : best;
  for (uint32_t j = 0; j < n; j++) {
    if (used[j])
      continue;
    used[j] = 1;
    perm[k] = j;
    best = brute(c, n, perm, k + 1, used, acc + c[k * n + j], best);
    used[j] = 0;
  }
  return best;
}

static int is_permutation(const uint32_t *slot, uint32_t n) {
  char seen[512] = {0};
  for (uint32_t i = 0; i < n; i++) {
    if (slot[i] >= n || seen[slot[i]])
      return 0;
    seen[slot[i]] = 1;
  }
  return 1;
}

TEST(hungarian_matches_brute_force) {
  sl_rng r;
  sl_rng_seed(&r, 11);
  int mismatches = 0;
  for (int round = 0; round < 300; round++) {
    uint32_t n = 1 + (uint32_t)sl_rng_below(&r, 8);
    double c[64];
    for (uint32_t k = 0; k < n * n; k++)
      c[k] = (double)sl_rng_below(&r, 100) + sl_rng_double(&r);
    uint32_t slot[8], perm[8];
    char used[8] = {0};
    REQUIRE(sl_assign_hungarian(c, n, slot) == 0);
    CHECK(is_permutation(slot, n));
    double best = brute(c, n, perm, 0, used, 0, INFINITY);
    if (fabs(total(c, n, slot) - best) > 1e-9)
      mismatches++;
  }
  CHECK_INT(mismatches, 0);
}

TEST(greedy_is_a_permutation_and_no_better_than_optimal) {
  sl_rng r;
  sl_rng_seed(&r, 5);
  enum { N = 40 };
  static double c[N * N];
  for (uint32_t k = 0; k < N * N; k++)
    c[k] = sl_rng_double(&r) * 100;
  uint32_t g[N], h[N];
  REQUIRE(sl_assign_greedy(c, N, g) == 0);
  REQUIRE(sl_assign_hungarian(c, N, h) == 0);
  CHECK(is_permutation(g, N));
  CHECK(total(c, N, h) <= total(c, N, g) + 1e-9);
}

TEST(sl_assign_picks_the_method_by_size) {
  enum { N = 300 };
  static double c[N * N];
  for (uint32_t i = 0; i < N; i++)
    for (uint32_t j = 0; j < N; j++)
      c[i * N + j] = fabs((double)i - (double)j); /* identity is optimal */
  static uint32_t slot[N];
  REQUIRE(sl_assign(c, N, slot) == 0);
  CHECK(is_permutation(slot, N));
  int identity = 1;
  for (uint32_t i = 0; i < N; i++)
    identity &= slot[i] == i;
  CHECK(identity); /* greedy finds it too: every diagonal pair costs 0 */
}

TEST(bad_input) {
  uint32_t slot[2];
  double c[4] = {1, 2, NAN, 4};
  CHECK_INT(sl_assign(c, 0, slot), SL_EINVAL);
  CHECK_INT(sl_assign_hungarian(c, 2, slot), SL_EINVAL);
  CHECK_INT(sl_assign_greedy(c, 2, slot), SL_EINVAL);
}

/* n drones and n slots: from[] scattered, to[] a grid (ties on purpose:
 * whole-metre coordinates make equal distances common). */
static void scatter(sl_rng *r, uint32_t n, sl_vec3 *from, sl_vec3 *to,
                    double *c) {
  for (uint32_t i = 0; i < n; i++) {
    from[i] = sl_v3((double)sl_rng_below(r, 200), (double)sl_rng_below(r, 200),
                    (double)sl_rng_below(r, 3));
    to[i] = sl_v3(50 + (double)(i % 20) * 5, 50 + (double)(i / 20) * 5, 2);
  }
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) {
      double dx = from[i].x - to[j].x, dy = from[i].y - to[j].y,
             dz = from[i].z - to[j].z;
      c[i * n + j] = sqrt(dx * dx + dy * dy + dz * dz);
    }
}

TEST(greedy_on_points_makes_the_pairs_of_greedy_on_the_matrix) {
  sl_rng r;
  sl_rng_seed(&r, 7);
  enum { MAX = 400 };
  static sl_vec3 from[MAX], to[MAX];
  static double c[MAX * MAX];
  static uint32_t a[MAX], b[MAX];
  const uint32_t sizes[] = {1, 2, 3, 9, 17, 64, 257, 400};
  int differ = 0;
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    uint32_t n = sizes[k];
    scatter(&r, n, from, to, c);
    REQUIRE(sl_assign_greedy(c, n, a) == 0);
    REQUIRE(sl_assign_greedy_points(from, to, n, b) == 0);
    CHECK(is_permutation(b, n));
    for (uint32_t i = 0; i < n; i++)
      differ += a[i] != b[i];
  }
  CHECK_INT(differ, 0);
  /* every drone on one spot: all distances tie, so drone i gets the
   * nearest slot left with the lowest index, as the sorted pairs do */
  for (uint32_t i = 0; i < 64; i++) {
    from[i] = sl_v3(0, 0, 0);
    to[i] = sl_v3((double)(i % 8), (double)(i / 8), 0);
  }
  REQUIRE(sl_assign_greedy_points(from, to, 64, b) == 0);
  for (uint32_t i = 0; i < 64; i++)
    for (uint32_t j = 0; j < 64; j++)
      c[i * 64 + j] = sqrt(to[j].x * to[j].x + to[j].y * to[j].y);
  REQUIRE(sl_assign_greedy(c, 64, a) == 0);
  differ = 0;
  for (uint32_t i = 0; i < 64; i++)
    differ += a[i] != b[i];
  CHECK_INT(differ, 0);
}

TEST(greedy_on_points_bad_input) {
  sl_vec3 p[2] = {{0, 0, 0}, {1, 1, 1}}, q[2] = {{0, 0, 0}, {NAN, 0, 0}};
  uint32_t slot[2];
  CHECK_INT(sl_assign_greedy_points(p, q, 0, slot), SL_EINVAL);
  CHECK_INT(sl_assign_greedy_points(p, q, 2, slot), SL_EINVAL);
  q[1].x = INFINITY;
  CHECK_INT(sl_assign_greedy_points(q, p, 2, slot), SL_EINVAL);
  q[1].x = 3;
  CHECK_INT(sl_assign_greedy_points(p, q, 2, slot), 0);
  CHECK(is_permutation(slot, 2));
}
