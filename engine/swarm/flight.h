/*
 * flight.h -- how far a drone flies in a tick, how many ticks a flight
 * takes, and what that costs in battery (API.md section 2 and the energy
 * rules of its amendments).
 *
 * A tick moves a drone `step` = speed * tick metres straight towards its
 * goal, or onto it from within one step, and onto it whenever less than
 * 1.0 m would be left (arrival); so a flight of `dist` metres takes
 * floor((dist - 1) / step) + 1 ticks, and each airborne tick drains
 * drain * tick.  The drone's tick (drone.c) and the coordinator (coord.c)
 * both rely on these numbers: the first to turn home in time, the second
 * to send only drones that can make the trip.
 */
#ifndef SL_FLIGHT_H
#define SL_FLIGHT_H

#include "swarm.h"

/* Where one step of `s` metres from `pos` towards `goal` ends: onto the
 * goal from within a step, or a step along the straight line, and onto
 * the goal when closer than 1.0 m afterwards (arrival, with
 * SL_ARRIVAL_SLACK).  *arrived says which; *dir gets the unit direction
 * of a step that did not arrive.  (Inline: every flying drone takes one
 * every tick.) */
static inline sl_vec3 sl__flight_step(sl_vec3 pos, sl_vec3 goal, double s,
                                      int *arrived, sl_vec3 *dir) {
  double dist = sl_v3_dist(pos, goal);
  if (dist > s + SL_ARRIVAL_SLACK) {
    sl_vec3 u = sl_v3((goal.x - pos.x) / dist, (goal.y - pos.y) / dist,
                      (goal.z - pos.z) / dist);
    sl_vec3 p = sl_v3(pos.x + u.x * s, pos.y + u.y * s, pos.z + u.z * s);
    if (sl_v3_dist(p, goal) >= 1.0 - SL_ARRIVAL_SLACK) {
      *arrived = 0;
      *dir = u;
      return p;
    }
  }
  *arrived = 1;
  return goal;
}

/* The ticks a straight flight of `dist` metres takes at `step` metres a
 * tick: floor((dist - 1) / step) + 1, at least 1 for any dist > 0, 0 for
 * none; a flight no battery could make answers 1e15 rather than
 * overflowing. */
int64_t sl__flight_ticks(double dist, double step);

/* Whether drone d, seen as `st` (position, exact battery), can fly to
 * `dest` and from there home and still hold low_battery: battery - (ticks
 * there + ticks home) * drain > low_battery. */
int sl__drone_can_make_trip(const sl_drone *d, const sl_drone_status *st,
                            sl_vec3 dest);

/* The return rule, for a drone that is not returning, charging or in
 * emergency, after this tick's drain and before its move: 1 when it must
 * turn home now (see flight.c). */
int sl__drone_must_turn_home(const sl_drone *d);

#endif
