/*
 * geom.h -- three doubles and the little arithmetic the swarm needs.
 */
#ifndef SL_GEOM_H
#define SL_GEOM_H

#include <math.h>

typedef struct sl_vec3 {
  double x, y, z;
} sl_vec3;

static inline sl_vec3 sl_v3(double x, double y, double z) {
  sl_vec3 v = {x, y, z};
  return v;
}
static inline double sl_v3_dist(sl_vec3 a, sl_vec3 b) {
  double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
  return sqrt(dx * dx + dy * dy + dz * dz);
}
/* Horizontal (x, y) distance: what scan radii and "nearest" use. */
static inline double sl_v3_hdist(sl_vec3 a, sl_vec3 b) {
  double dx = a.x - b.x, dy = a.y - b.y;
  return sqrt(dx * dx + dy * dy);
}
static inline int sl_v3_eq(sl_vec3 a, sl_vec3 b) {
  return a.x == b.x && a.y == b.y && a.z == b.z;
}

#endif
