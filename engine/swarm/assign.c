/*
 * assign.c -- minimum-cost assignment (see assign.h).
 *
 * The Hungarian form used here keeps potentials u (rows) and v (columns)
 * and, for each new row, grows a shortest path of reduced costs until it
 * reaches a free column, then flips the path: n rounds of O(n^2).
 */
#include "assign.h"

#include <math.h>
#include <stdint.h>
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

/* --- greedy nearest pairs on points ---------------------------------------
 *
 * The same greedy as sl_assign_greedy without its n^2 pairs: a k-d tree of
 * the slots (each node counting its free slots) answers "nearest free slot
 * to drone i" in about log n, and a heap holds each unassigned drone's
 * nearest free slot as it was when last asked.  The heap's least entry
 * (distance, drone, slot) is the next pair, unless its slot was taken
 * meanwhile: then the drone asks again (its nearest can only be farther)
 * and goes back in the heap.  Entries are ordered as sl_assign_greedy
 * orders its pairs, and a node is skipped only when its box is farther
 * than the best so far (not when equal), so ties go to the lowest drone,
 * then the lowest slot, and both give the same assignment. */

enum { LEAF = 8 };

typedef struct kd_node {
  double lo[3], hi[3]; /* bounding box of its slots */
  uint32_t begin, end; /* its slots: idx[begin..end) */
  uint32_t free;       /* how many are not taken */
  int32_t left, right, parent;
} kd_node;

typedef struct kd_tree {
  const sl_vec3 *pts;
  uint32_t *idx;
  kd_node *nodes;
  int32_t nnodes;
  int32_t *leaf_of; /* slot -> its leaf */
  char *taken;
  struct keyed *keys; /* scratch for sorting a node's slots */
} kd_tree;

static double coord(const sl_vec3 *p, int axis) {
  return axis == 0 ? p->x : axis == 1 ? p->y : p->z;
}

typedef struct keyed { /* a slot and its coordinate on the split axis */
  double v;
  uint32_t j;
} keyed;

static int by_key(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->v != y->v)
    return x->v < y->v ? -1 : 1;
  return x->j < y->j ? -1 : x->j > y->j;
}

static int32_t kd_build(kd_tree *t, uint32_t begin, uint32_t end,
                        int32_t parent) {
  int32_t k = t->nnodes++;
  kd_node *nd = &t->nodes[k];
  nd->begin = begin;
  nd->end = end;
  nd->free = end - begin;
  nd->parent = parent;
  nd->left = nd->right = -1;
  for (int a = 0; a < 3; a++) {
    nd->lo[a] = INFINITY;
    nd->hi[a] = -INFINITY;
  }
  for (uint32_t m = begin; m < end; m++)
    for (int a = 0; a < 3; a++) {
      double v = coord(&t->pts[t->idx[m]], a);
      nd->lo[a] = v < nd->lo[a] ? v : nd->lo[a];
      nd->hi[a] = v > nd->hi[a] ? v : nd->hi[a];
    }
  if (end - begin <= LEAF) {
    for (uint32_t m = begin; m < end; m++)
      t->leaf_of[t->idx[m]] = k;
    return k;
  }
  int axis = 0; /* split the widest side at the median */
  for (int a = 1; a < 3; a++)
    if (nd->hi[a] - nd->lo[a] > nd->hi[axis] - nd->lo[axis])
      axis = a;
  for (uint32_t m = begin; m < end; m++)
    t->keys[m] = (keyed){coord(&t->pts[t->idx[m]], axis), t->idx[m]};
  qsort(t->keys + begin, end - begin, sizeof(*t->keys), by_key);
  for (uint32_t m = begin; m < end; m++)
    t->idx[m] = t->keys[m].j;
  uint32_t mid = begin + (end - begin) / 2;
  int32_t l = kd_build(t, begin, mid, k);
  int32_t r = kd_build(t, mid, end, k);
  t->nodes[k].left = l; /* nodes has room for 2n: it never moves */
  t->nodes[k].right = r;
  return k;
}

/* The distance as the cost matrix has it. */
static double dist(sl_vec3 a, sl_vec3 b) {
  double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
  return sqrt(dx * dx + dy * dy + dz * dz);
}

/* A lower bound of the distance from q to any point in the node's box,
 * computed with the same operations as dist (so never above it). */
static double box_dist(const kd_node *nd, sl_vec3 q) {
  double g[3];
  for (int a = 0; a < 3; a++) {
    double v = coord(&q, a);
    g[a] = v < nd->lo[a] ? nd->lo[a] - v : v > nd->hi[a] ? v - nd->hi[a] : 0;
  }
  return sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
}

static void kd_nearest(const kd_tree *t, int32_t k, sl_vec3 q, double *best,
                       uint32_t *best_j) {
  const kd_node *nd = &t->nodes[k];
  if (nd->free == 0 || box_dist(nd, q) > *best)
    return;
  if (nd->left < 0) {
    for (uint32_t m = nd->begin; m < nd->end; m++) {
      uint32_t j = t->idx[m];
      if (t->taken[j])
        continue;
      double d = dist(q, t->pts[j]);
      if (d < *best || (d == *best && j < *best_j)) {
        *best = d;
        *best_j = j;
      }
    }
    return;
  }
  int32_t a = nd->left, b = nd->right;
  if (box_dist(&t->nodes[b], q) < box_dist(&t->nodes[a], q)) {
    int32_t c = a;
    a = b;
    b = c;
  }
  kd_nearest(t, a, q, best, best_j);
  kd_nearest(t, b, q, best, best_j);
}

static void kd_take(kd_tree *t, uint32_t j) {
  t->taken[j] = 1;
  for (int32_t k = t->leaf_of[j]; k >= 0; k = t->nodes[k].parent)
    t->nodes[k].free--;
}

typedef struct cand {
  double d;
  uint32_t i, j;
} cand;

static int cand_less(const cand *x, const cand *y) {
  if (x->d != y->d)
    return x->d < y->d;
  if (x->i != y->i)
    return x->i < y->i;
  return x->j < y->j;
}

static void heap_push(cand *h, uint32_t *n, cand c) {
  uint32_t k = (*n)++;
  while (k > 0 && cand_less(&c, &h[(k - 1) / 2])) {
    h[k] = h[(k - 1) / 2];
    k = (k - 1) / 2;
  }
  h[k] = c;
}

static cand heap_pop(cand *h, uint32_t *n) {
  cand top = h[0], last = h[--*n];
  uint32_t k = 0;
  for (;;) {
    uint32_t c = 2 * k + 1;
    if (c >= *n)
      break;
    if (c + 1 < *n && cand_less(&h[c + 1], &h[c]))
      c++;
    if (!cand_less(&h[c], &last))
      break;
    h[k] = h[c];
    k = c;
  }
  if (*n > 0)
    h[k] = last;
  return top;
}

int sl_assign_greedy_points(const sl_vec3 *from, const sl_vec3 *to, uint32_t n,
                            uint32_t *slot_of) {
  if (n == 0)
    return SL_EINVAL;
  for (uint32_t i = 0; i < n; i++)
    if (!isfinite(from[i].x) || !isfinite(from[i].y) || !isfinite(from[i].z) ||
        !isfinite(to[i].x) || !isfinite(to[i].y) || !isfinite(to[i].z))
      return SL_EINVAL;
  kd_tree t = {to, NULL, NULL, 0, NULL, NULL, NULL};
  t.idx = malloc((size_t)n * sizeof(*t.idx));
  t.keys = malloc((size_t)n * sizeof(*t.keys));
  t.nodes = malloc(2 * (size_t)n * sizeof(*t.nodes));
  t.leaf_of = malloc((size_t)n * sizeof(*t.leaf_of));
  t.taken = calloc(n, 1);
  cand *heap = malloc((size_t)n * sizeof(*heap));
  int rc = SL_ENOMEM;
  if (t.idx && t.keys && t.nodes && t.leaf_of && t.taken && heap) {
    for (uint32_t j = 0; j < n; j++)
      t.idx[j] = j;
    kd_build(&t, 0, n, -1);
    uint32_t nh = 0;
    for (uint32_t i = 0; i < n; i++) {
      cand c = {INFINITY, i, UINT32_MAX};
      kd_nearest(&t, 0, from[i], &c.d, &c.j);
      heap_push(heap, &nh, c);
    }
    while (nh > 0) {
      cand c = heap_pop(heap, &nh);
      if (t.taken[c.j]) { /* someone was nearer: ask again */
        c.d = INFINITY;
        c.j = UINT32_MAX;
        kd_nearest(&t, 0, from[c.i], &c.d, &c.j);
        heap_push(heap, &nh, c);
        continue;
      }
      slot_of[c.i] = c.j;
      kd_take(&t, c.j);
    }
    rc = 0;
  }
  free(t.idx), free(t.keys), free(t.nodes), free(t.leaf_of), free(t.taken);
  free(heap);
  return rc;
}
