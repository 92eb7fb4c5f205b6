/*
 * area.c -- the lawnmower path over an area (see area.h).
 */
#include "area.h"

#include <stdlib.h>

#include "rt/error.h"

int sl_area_waypoints(const sl_area *a, double spacing, sl_vec3 **out,
                      uint32_t *n) {
  *out = NULL;
  *n = 0;
  if (!(spacing > 0) || a->minx > a->maxx || a->miny > a->maxy)
    return SL_EINVAL;
  uint32_t rows = 0;
  while (a->miny + spacing / 2 + rows * spacing <= a->maxy &&
         rows <= SL_AREA_MAX_ROWS)
    rows++;
  if (rows > SL_AREA_MAX_ROWS)
    return SL_ETOOBIG; /* never a path cut short without a word */
  int middle = rows == 0;
  if (middle)
    rows = 1;
  sl_vec3 *w = malloc(2 * (size_t)rows * sizeof(*w));
  if (w == NULL)
    return SL_ENOMEM;
  for (uint32_t k = 0; k < rows; k++) {
    double y = middle ? (a->miny + a->maxy) / 2
                      : a->miny + spacing / 2 + k * spacing;
    double x0 = (k % 2 == 0) ? a->minx : a->maxx;
    double x1 = (k % 2 == 0) ? a->maxx : a->minx;
    w[2 * k] = sl_v3(x0, y, a->alt);
    w[2 * k + 1] = sl_v3(x1, y, a->alt);
  }
  *out = w;
  *n = 2 * rows;
  return 0;
}
