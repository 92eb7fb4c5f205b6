/*
 * grid.c -- uniform grid spatial index (see grid.h).
 *
 * Cells are never removed from the table (an emptied cell keeps its slot
 * for the next item that comes by), which keeps lookups simple; the table
 * doubles when half full, and then every item's cell index is rewritten.
 * lo/hi bound the cell coordinates ever used, so a nearest search over an
 * empty or exhausted neighbourhood knows when to stop.
 */
#include "grid.h"

#include <stdlib.h>
#include <string.h>

#include "rt/error.h"

static uint64_t key_hash(int64_t cx, int64_t cy) {
  uint64_t h = (uint64_t)cx * 0x9e3779b97f4a7c15ull ^
               ((uint64_t)cy + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull;
  h ^= h >> 31;
  return h;
}

static int64_t cell_of(const sl_grid *g, double v) {
  return (int64_t)floor(v / g->cell);
}

int sl_grid_init(sl_grid *g, double cell) {
  memset(g, 0, sizeof(*g));
  if (!(cell > 0))
    return SL_EINVAL;
  g->cell = cell;
  g->cap = 64;
  g->cells = calloc(g->cap, sizeof(*g->cells));
  return g->cells ? 0 : SL_ENOMEM;
}

void sl_grid_free(sl_grid *g) {
  for (uint32_t i = 0; i < g->cap; i++)
    free(g->cells[i].items);
  free(g->cells);
  free(g->pos);
  memset(g, 0, sizeof(*g));
}

/* The slot of cell (cx, cy): found, or the empty one where it would go. */
static uint32_t probe(const sl_grid *g, int64_t cx, int64_t cy) {
  uint32_t i = (uint32_t)key_hash(cx, cy) & (g->cap - 1);
  while (g->cells[i].used && (g->cells[i].cx != cx || g->cells[i].cy != cy))
    i = (i + 1) & (g->cap - 1);
  return i;
}

static int grow_table(sl_grid *g) {
  sl_grid_cell *old = g->cells;
  uint32_t oldcap = g->cap;
  g->cap *= 2;
  g->cells = calloc(g->cap, sizeof(*g->cells));
  if (g->cells == NULL) {
    g->cells = old;
    g->cap = oldcap;
    return SL_ENOMEM;
  }
  for (uint32_t i = 0; i < oldcap; i++) {
    if (!old[i].used)
      continue;
    uint32_t j = probe(g, old[i].cx, old[i].cy);
    g->cells[j] = old[i];
    for (uint32_t k = 0; k < old[i].n; k++)
      g->pos[old[i].items[k]].cell = (int32_t)j;
  }
  free(old);
  return 0;
}

static int32_t cell_for(sl_grid *g, int64_t cx, int64_t cy) {
  uint32_t i = probe(g, cx, cy);
  if (g->cells[i].used)
    return (int32_t)i;
  if ((g->ncells + 1) * 2 > g->cap) {
    if (grow_table(g) != 0)
      return -1;
    i = probe(g, cx, cy);
  }
  g->cells[i].used = 1;
  g->cells[i].cx = cx;
  g->cells[i].cy = cy;
  if (g->ncells++ == 0) {
    g->lo_x = g->hi_x = cx;
    g->lo_y = g->hi_y = cy;
  }
  g->lo_x = cx < g->lo_x ? cx : g->lo_x;
  g->hi_x = cx > g->hi_x ? cx : g->hi_x;
  g->lo_y = cy < g->lo_y ? cy : g->lo_y;
  g->hi_y = cy > g->hi_y ? cy : g->hi_y;
  return (int32_t)i;
}

static void take_out(sl_grid *g, uint32_t item) {
  sl_grid_pos *p = &g->pos[item];
  sl_grid_cell *c = &g->cells[p->cell];
  uint32_t last = c->items[--c->n];
  c->items[p->slot] = last;
  g->pos[last].slot = p->slot;
  p->cell = -1;
}

int sl_grid_set(sl_grid *g, uint32_t item, double x, double y) {
  if (item >= g->npos) {
    uint32_t n = g->npos ? g->npos : 64;
    while (n <= item)
      n *= 2;
    sl_grid_pos *v = realloc(g->pos, n * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    for (uint32_t i = g->npos; i < n; i++)
      v[i].cell = -1;
    g->pos = v;
    g->npos = n;
  }
  int64_t cx = cell_of(g, x), cy = cell_of(g, y);
  sl_grid_pos *p = &g->pos[item];
  p->x = x;
  p->y = y;
  if (p->cell >= 0 && p->cx == cx && p->cy == cy)
    return 0; /* same cell: only the position changed */
  if (p->cell >= 0)
    take_out(g, item);
  int32_t ci = cell_for(g, cx, cy);
  if (ci < 0)
    return SL_ENOMEM;
  sl_grid_cell *c = &g->cells[ci];
  if (c->n == c->cap) {
    uint32_t cap = c->cap ? c->cap * 2 : 8;
    uint32_t *v = realloc(c->items, cap * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    c->items = v;
    c->cap = cap;
  }
  p->cell = ci;
  p->slot = c->n;
  p->cx = cx;
  p->cy = cy;
  c->items[c->n++] = item;
  return 0;
}

void sl_grid_remove(sl_grid *g, uint32_t item) {
  if (sl_grid_has(g, item))
    take_out(g, item);
}

static const sl_grid_cell *find(const sl_grid *g, int64_t cx, int64_t cy) {
  uint32_t i = probe(g, cx, cy);
  return g->cells[i].used ? &g->cells[i] : NULL;
}

void sl_grid_within(sl_grid *g, double x, double y, double r,
                    int (*fn)(void *ud, uint32_t item, double d), void *ud) {
  if (g->ncells == 0)
    return;
  int64_t x0 = cell_of(g, x - r), x1 = cell_of(g, x + r);
  int64_t y0 = cell_of(g, y - r), y1 = cell_of(g, y + r);
  /* Only cells ever used can hold anything: a query far from every item
   * (a drone far from every target) costs no lookup at all. */
  x0 = x0 < g->lo_x ? g->lo_x : x0;
  x1 = x1 > g->hi_x ? g->hi_x : x1;
  y0 = y0 < g->lo_y ? g->lo_y : y0;
  y1 = y1 > g->hi_y ? g->hi_y : y1;
  for (int64_t cy = y0; cy <= y1; cy++)
    for (int64_t cx = x0; cx <= x1; cx++) {
      const sl_grid_cell *c = find(g, cx, cy);
      if (c == NULL)
        continue;
      for (uint32_t k = 0; k < c->n; k++) {
        uint32_t item = c->items[k];
        double dx = g->pos[item].x - x, dy = g->pos[item].y - y;
        double d = sqrt(dx * dx + dy * dy);
        g->visited++;
        if (d <= r && fn(ud, item, d))
          return;
      }
    }
}

/* Item by item: the lowest (distance, index) that ok() accepts wins, so the
 * answer does not depend on the order cells are visited in. */
static void consider(sl_grid *g, const sl_grid_cell *c, double x, double y,
                     int (*ok)(void *ud, uint32_t item), void *ud,
                     int64_t *best, double *best_d) {
  for (uint32_t k = 0; k < c->n; k++) {
    uint32_t item = c->items[k];
    g->visited++;
    double dx = g->pos[item].x - x, dy = g->pos[item].y - y;
    double d = sqrt(dx * dx + dy * dy);
    if ((d < *best_d || (d == *best_d && (int64_t)item < *best)) &&
        ok(ud, item)) {
      *best = item;
      *best_d = d;
    }
  }
}

int64_t sl_grid_nearest(sl_grid *g, double x, double y,
                        int (*ok)(void *ud, uint32_t item), void *ud) {
  if (g->ncells == 0)
    return -1;
  /* How far rings may need to go: to the farthest cell ever used. */
  int64_t cx = cell_of(g, x), cy = cell_of(g, y);
  int64_t reach = 0;
  int64_t ext[4] = {cx - g->lo_x, g->hi_x - cx, cy - g->lo_y, g->hi_y - cy};
  for (int i = 0; i < 4; i++)
    reach = ext[i] > reach ? ext[i] : reach;
  int64_t best = -1;
  double best_d = INFINITY;
  uint64_t probes = 0;
  for (int64_t r = 0; r <= reach; r++) {
    /* An item in ring r is at least r - 1 whole cells away; one at exactly
     * that distance could still win a tie with a lower index. */
    if (best >= 0 && r >= 1 && best_d < (double)(r - 1) * g->cell)
      return best;
    /* Ring r costs 8r lookups, mostly of empty cells when items are few
     * and far apart: past one table's worth, every cell in use is
     * cheaper than the rings left (reach can be thousands of cells). */
    uint64_t ring = r == 0 ? 1 : 8 * (uint64_t)r;
    if (probes + ring > g->cap)
      break;
    probes += ring;
    for (int64_t dy = -r; dy <= r; dy++) {
      int edge = dy == -r || dy == r;
      for (int64_t dx = -r; dx <= r; dx += edge ? 1 : 2 * r) {
        g->probed++;
        const sl_grid_cell *c = find(g, cx + dx, cy + dy);
        if (c != NULL)
          consider(g, c, x, y, ok, ud, &best, &best_d);
        if (r == 0)
          break;
      }
    }
    if (r == reach)
      return best;
  }
  for (uint32_t i = 0; i < g->cap; i++) {
    g->probed++;
    if (g->cells[i].used)
      consider(g, &g->cells[i], x, y, ok, ud, &best, &best_d);
  }
  return best;
}
