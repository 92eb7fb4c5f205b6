/*
 * flight.c -- the energy arithmetic of a flight (see flight.h): the ticks a
 * flight takes, whether a battery pays for them, and the return rule.
 * Everything is exact: batteries are integer nano-percent, a flight's cost
 * a whole number of ticks' drain.
 */
#include "flight.h"

#include <math.h>

int64_t sl__flight_ticks(double dist, double step) {
  if (!(dist > 0))
    return 0;
  double k = floor((dist - 1.0 + SL_ARRIVAL_SLACK) / step) + 1;
  if (!(k < 1e15)) /* a flight no battery could make, without overflow */
    return INT64_C(1000000000000000);
  return k < 1 ? 1 : (int64_t)k;
}

/* Whether `spare` nano-percent pays for `ticks` ticks of d's drain with
 * some left over: ticks * drain < spare, without overflow. */
static int pays_for(const sl_drone *d, int64_t spare, int64_t ticks) {
  if (spare <= 0)
    return 0;
  if (d->drain_np == 0)
    return 1;
  return ticks <= (spare - 1) / d->drain_np;
}

int sl__drone_can_make_trip(const sl_drone *d, const sl_drone_status *st,
                            sl_vec3 dest) {
  int64_t ticks = sl__flight_ticks(sl_v3_dist(st->pos, dest), d->step_m) +
                  sl__flight_ticks(sl_v3_dist(dest, d->base), d->step_m);
  return pays_for(d, st->battery_np - d->o.low_battery * SL_NP_PER_PCT, ticks);
}

/* Where this tick's move would take the drone if it carried on. */
static sl_vec3 next_pos(const sl_drone *d) {
  int arrived;
  sl_vec3 u;
  if (d->state == SL_DS_MOVING)
    return sl__flight_step(d->pos, d->goal, d->step_m, &arrived, &u);
  if (d->state == SL_DS_PATROLLING && d->nwp > 0)
    return sl__flight_step(d->pos, d->wp[d->wpi], d->step_m, &arrived, &u);
  return d->pos; /* hovering */
}

/* The return rule, checked every tick after the drain and before the
 * move, on the exact battery: were the drone to carry on, this tick's
 * move would take it where the straight flight home takes k ticks, k *
 * drain; it turns for home now when its battery is no more than that
 * plus critical_battery.  So a drone that turns lands with more than
 * critical_battery: one tick earlier it held more than the flight home
 * from here plus critical, and this tick's drain is one of those ticks.
 * Hovering at its base position (k = 0) this is v1's rule, battery <=
 * critical_battery (a whole-percent threshold compares the same rounded
 * up or not). */
int sl__drone_must_turn_home(const sl_drone *d) {
  int64_t spare = d->battery_np - d->o.critical_battery * SL_NP_PER_PCT;
  if (spare <= 0 || d->drain_np == 0)
    return spare <= 0;
  /* Most ticks, far from it: the flight home from where this tick's move
   * would leave it (at most `dist + step` away) takes fewer than dist /
   * step + 2 ticks, so with more than that many ticks' drain to spare it
   * carries on -- decided without a square root. */
  double x = (double)(spare - 2 * d->drain_np) * d->step_m,
         w = (double)d->drain_np; /* x / w: that many metres of flight */
  double dx = d->pos.x - d->base.x, dy = d->pos.y - d->base.y,
         dz = d->pos.z - d->base.z;
  if (x > 0 && x * x > (dx * dx + dy * dy + dz * dz) * (w * w))
    return 0;
  int64_t k = sl__flight_ticks(sl_v3_dist(next_pos(d), d->base), d->step_m);
  return !pays_for(d, spare, k);
}
