/*
 * assign.h -- who goes where: drones to formation slots at least total cost.
 *
 * Up to SL_ASSIGN_OPTIMAL_MAX items it is optimal: the Hungarian algorithm
 * (Kuhn-Munkres, the O(n^3) shortest-augmenting-path form).  Beyond, a good
 * greedy: every (drone, slot) pair by cost, cheapest first, each taken if
 * both ends are free.  On a cost matrix that is a sort of n^2 pairs (1.5 s
 * and 400 MB at 4,096); on points, sl_assign_greedy_points finds the same
 * pairs with a k-d tree of the free slots and a heap of each drone's
 * nearest, in about n log n (a few ms at 4,096).
 */
#ifndef SL_ASSIGN_H
#define SL_ASSIGN_H

#include <stdint.h>

#include "geom.h"

#define SL_ASSIGN_OPTIMAL_MAX 256

/* cost: n x n, row i = drone i, column j = slot j.  Writes slot_of[i].
 * Returns 0, SL_EINVAL (n == 0, or a cost that is not finite) or
 * SL_ENOMEM. */
int sl_assign(const double *cost, uint32_t n, uint32_t *slot_of);
/* The same, forcing the optimal or the greedy method (for tests). */
int sl_assign_hungarian(const double *cost, uint32_t n, uint32_t *slot_of);
int sl_assign_greedy(const double *cost, uint32_t n, uint32_t *slot_of);

/* The greedy on points: drone i at from[i], slot j at to[j], the cost their
 * 3-D distance (sqrt(dx*dx + dy*dy + dz*dz), as a cost matrix would hold
 * it); the same assignment as sl_assign_greedy on that matrix, ties to the
 * lowest drone then the lowest slot.  Memory O(n), no n x n matrix.
 * Returns 0, SL_EINVAL (n == 0 or a coordinate not finite) or SL_ENOMEM. */
int sl_assign_greedy_points(const sl_vec3 *from, const sl_vec3 *to, uint32_t n,
                            uint32_t *slot_of);

#endif
