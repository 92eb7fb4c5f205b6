/*
 * grid.h -- a uniform grid over the (x, y) plane: who is near a point.
 *
 * Items (drone or target indices) sit in square cells of `cell` metres,
 * found through an open-addressing table keyed by the cell's coordinates, so
 * the plane is unbounded and empty cells cost nothing.  Each item remembers
 * its cell and its slot there, so moving or removing it is O(1).  Queries
 * visit only the cells a radius touches, or rings of cells outward from a
 * point, so their cost follows the local density, not the fleet size.
 */
#ifndef SL_GRID_H
#define SL_GRID_H

#include <stdint.h>

#include "geom.h"

typedef struct sl_grid_cell {
  int64_t cx, cy;
  uint32_t *items;
  uint32_t n, cap;
  int used;
} sl_grid_cell;

typedef struct sl_grid_pos { /* per item: where it is */
  int32_t cell;              /* index in the table, -1: not in the grid */
  uint32_t slot;
  double x, y;
  int64_t cx, cy; /* its cell's coordinates: a move within it is cheap */
} sl_grid_pos;

typedef struct sl_grid {
  double cell;
  sl_grid_cell *cells;
  uint32_t ncells, cap; /* table size (power of two) and cells in use */
  sl_grid_pos *pos;     /* by item index */
  uint32_t npos;
  int64_t lo_x, hi_x, lo_y, hi_y; /* cell coordinates ever used */
  uint64_t visited; /* items looked at by queries (for tests) */
  uint64_t probed;  /* cell lookups by nearest queries (for tests) */
} sl_grid;

int sl_grid_init(sl_grid *g, double cell);
void sl_grid_free(sl_grid *g);
/* Puts item at (x, y), or moves it there.  0 or SL_ENOMEM. */
int sl_grid_set(sl_grid *g, uint32_t item, double x, double y);
void sl_grid_remove(sl_grid *g, uint32_t item);
static inline int sl_grid_has(const sl_grid *g, uint32_t item) {
  return item < g->npos && g->pos[item].cell >= 0;
}

/* Calls fn for every item within `r` (horizontal) of (x, y), in no
 * particular order; fn returns nonzero to stop. */
void sl_grid_within(sl_grid *g, double x, double y, double r,
                    int (*fn)(void *ud, uint32_t item, double d), void *ud);

/* The item nearest to (x, y) among those ok() accepts, ties to the lowest
 * index; -1 when none.  Searches rings of cells outwards and stops once no
 * closer item can exist; when the rings left would cost more lookups than
 * the table has slots (few, scattered items, or none acceptable), it
 * looks at every cell in use instead.  So a query costs at most about two
 * passes over the table, however far apart the items are. */
int64_t sl_grid_nearest(sl_grid *g, double x, double y,
                        int (*ok)(void *ud, uint32_t item), void *ud);

#endif
