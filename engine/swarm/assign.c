/*
 * assign.c -- minimum-cost assignment (see assign.h).
 *
 * The Hungarian form used here keeps potentials u (rows) and v (columns)
 * and, for each new row, grows a shortest path of reduced costs until it
 * reaches a free column, then flips the path: n rounds of O(n^2).
 */
#include "assign.h"

#include <math.h>
#include <stdlib.h>

#include "rt/error.h"

int sl_assign_hungarian(const double *cost, uint32_t n, uint32_t *slot_of) {
  if (n == 0)
    return SL_EINVAL;
  for (uint64_t k = 0; k < (uint64_t)n * n; k++)
    if (!isfinite(cost[k]))
      return SL_EINVAL;
  /* 1-based arrays as in the classic formulation; column 0 is the root. */
  double *u = calloc(n + 1, sizeof(double));
  double *v = calloc(n + 1, sizeof(double));
  double *minv = malloc((n + 1) * sizeof(double));
  uint32_t *p = calloc(n + 1, sizeof(uint32_t));   /* row matched to col */
  uint32_t *way = calloc(n + 1, sizeof(uint32_t)); /* previous column */
  char *used = malloc(n + 1);
  if (!u || !v || !minv || !p || !way || !used) {
    free(u), free(v), free(minv), free(p), free(way), free(used);
    return SL_ENOMEM;
  }
  for (uint32_t i = 1; i <= n; i++) {
    p[0] = i;
    uint32_t j0 = 0;
    for (uint32_t j = 0; j <= n; j++) {
      minv[j] = INFINITY;
      used[j] = 0;
    }
    do {
      used[j0] = 1;
      uint32_t i0 = p[j0], j1 = 0;
      double delta = INFINITY;
      for (uint32_t j = 1; j <= n; j++) {
        if (used[j])
          continue;
        double cur = cost[(uint64_t)(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (uint32_t j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do { /* flip the augmenting path */
      uint32_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  for (uint32_t j = 1; j <= n; j++)
    slot_of[p[j] - 1] = j - 1;
  free(u), free(v), free(minv), free(p), free(way), free(used);
  return 0;
}

typedef struct pair {
  double cost;
  uint32_t i, j;
} pair;

static int by_cost(const void *a, const void *b) {
  const pair *x = a, *y = b;
  if (x->cost != y->cost)
    return x->cost < y->cost ? -1 : 1;
  if (x->i != y->i) /* ties: lower drone, then lower slot: deterministic */
    return x->i < y->i ? -1 : 1;
  return x->j < y->j ? -1 : x->j > y->j;
}

int sl_assign_greedy(const double *cost, uint32_t n, uint32_t *slot_of) {
  if (n == 0)
    return SL_EINVAL;
  uint64_t m = (uint64_t)n * n;
  pair *pairs = malloc(m * sizeof(*pairs));
  char *row_done = calloc(n, 1), *col_done = calloc(n, 1);
  if (!pairs || !row_done || !col_done) {
    free(pairs), free(row_done), free(col_done);
    return SL_ENOMEM;
  }
  for (uint64_t k = 0; k < m; k++) {
    if (!isfinite(cost[k])) {
      free(pairs), free(row_done), free(col_done);
      return SL_EINVAL;
    }
    pairs[k] = (pair){cost[k], (uint32_t)(k / n), (uint32_t)(k % n)};
  }
  qsort(pairs, m, sizeof(*pairs), by_cost);
  uint32_t left = n;
  for (uint64_t k = 0; k < m && left > 0; k++)
    if (!row_done[pairs[k].i] && !col_done[pairs[k].j]) {
      row_done[pairs[k].i] = col_done[pairs[k].j] = 1;
      slot_of[pairs[k].i] = pairs[k].j;
      left--;
    }
  free(pairs), free(row_done), free(col_done);
  return 0;
}

int sl_assign(const double *cost, uint32_t n, uint32_t *slot_of) {
  return n <= SL_ASSIGN_OPTIMAL_MAX ? sl_assign_hungarian(cost, n, slot_of)
                                    : sl_assign_greedy(cost, n, slot_of);
}
