/*
 * assign.h -- who goes where: drones to formation slots at least total cost.
 *
 * Up to SL_ASSIGN_OPTIMAL_MAX items it is optimal: the Hungarian algorithm
 * (Kuhn-Munkres, the O(n^3) shortest-augmenting-path form).  Beyond, a good
 * greedy: every (drone, slot) pair by cost, cheapest first, each taken if
 * both ends are free -- O(n^2 log n), which keeps a thousand drones quick.
 */
#ifndef SL_ASSIGN_H
#define SL_ASSIGN_H

#include <stdint.h>

#define SL_ASSIGN_OPTIMAL_MAX 256

/* cost: n x n, row i = drone i, column j = slot j.  Writes slot_of[i].
 * Returns 0, SL_EINVAL (n == 0, or a cost that is not finite) or
 * SL_ENOMEM. */
int sl_assign(const double *cost, uint32_t n, uint32_t *slot_of);
/* The same, forcing the optimal or the greedy method (for tests). */
int sl_assign_hungarian(const double *cost, uint32_t n, uint32_t *slot_of);
int sl_assign_greedy(const double *cost, uint32_t n, uint32_t *slot_of);

#endif
