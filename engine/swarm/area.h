/*
 * area.h -- a rectangle to patrol at an altitude, and its lawnmower path.
 *
 * API.md section 3: rows parallel to x at y = min.y + spacing/2 + k*spacing
 * while y <= max.y (one row through the middle when none fits); row k runs
 * min.x -> max.x when k is even and back when odd; each row gives its two
 * ends as waypoints, at z = altitude.  One implementation serves missions
 * (C) and area:waypoints (Lua).
 */
#ifndef SL_AREA_H
#define SL_AREA_H

#include <stdint.h>

#include "geom.h"

typedef struct sl_area {
  double minx, miny, maxx, maxy, alt;
} sl_area;

static inline sl_vec3 sl_area_center(const sl_area *a) {
  return sl_v3((a->minx + a->maxx) / 2, (a->miny + a->maxy) / 2, a->alt);
}

/* The most rows a path may have (two waypoints each): a bound on memory,
 * and on the time a typo in an area or a spacing can cost. */
#define SL_AREA_MAX_ROWS 100000

/* Writes the waypoints into a malloc'd array (*out, *n).  Returns 0,
 * SL_EINVAL (spacing <= 0, or min above max), SL_ETOOBIG (more than
 * SL_AREA_MAX_ROWS rows: nothing is written) or SL_ENOMEM. */
int sl_area_waypoints(const sl_area *a, double spacing, sl_vec3 **out,
                      uint32_t *n);

#endif
