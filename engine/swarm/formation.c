/*
 * formation.c -- teams and formations on the swarm's side.
 *
 * The Lua layer decides the slots and who flies to which (assign.c); here
 * the swarm keeps what it needs to say when a formation has been reached:
 * each formation's members and slots, checked at the end of every tick
 * against the drones' live positions.  formation_reached is published once
 * per set of slots (team:move gives new ones); a member that has shut down
 * has left (the others can still reach it).  A reserved drone -- a team
 * member -- is never eligible for missions or support.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "swarm.h"

struct sl_formation {
  int32_t id;
  uint32_t n;
  uint32_t *ids;
  sl_vec3 *slots;
  int reached;
};

enum { REACHED_WITHIN_MM = 1000 }; /* 1.0 m, API.md section 7 */

int sl_swarm_reserve(sl_swarm *sw, uint32_t id, int reserved) {
  if (id >= sw->ndrones || sw->drones[id] == NULL)
    return SL_ENOTFOUND;
  sw->drones[id]->reserved = reserved != 0;
  return 0;
}

static int find(const sl_swarm *sw, int32_t id) {
  for (uint32_t i = 0; i < sw->nforms; i++)
    if (sw->forms[i].id == id)
      return (int)i;
  return -1;
}

int32_t sl_swarm_formation_new(sl_swarm *sw, uint32_t n, const uint32_t *ids,
                               const sl_vec3 *slots) {
  if (n == 0)
    return SL_EINVAL;
  if (sw->nforms == sw->capforms) {
    uint32_t cap = sw->capforms ? sw->capforms * 2 : 4;
    struct sl_formation *v = realloc(sw->forms, cap * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    sw->forms = v;
    sw->capforms = cap;
  }
  struct sl_formation *f = &sw->forms[sw->nforms];
  f->ids = malloc(n * sizeof(*f->ids));
  f->slots = malloc(n * sizeof(*f->slots));
  if (f->ids == NULL || f->slots == NULL) {
    free(f->ids);
    free(f->slots);
    return SL_ENOMEM;
  }
  memcpy(f->ids, ids, n * sizeof(*ids));
  memcpy(f->slots, slots, n * sizeof(*slots));
  f->n = n;
  f->reached = 0;
  f->id = sw->next_formation++;
  sw->nforms++;
  return f->id;
}

int32_t sl_swarm_formation_size(const sl_swarm *sw, int32_t id) {
  int i = find(sw, id);
  return i < 0 ? SL_ENOTFOUND : (int32_t)sw->forms[i].n;
}

int sl_swarm_formation_move(sl_swarm *sw, int32_t id, const sl_vec3 *slots) {
  int i = find(sw, id);
  if (i < 0)
    return SL_ENOTFOUND;
  struct sl_formation *f = &sw->forms[i];
  memcpy(f->slots, slots, f->n * sizeof(*slots));
  f->reached = 0;
  return 0;
}

static void release(struct sl_formation *f) {
  free(f->ids);
  free(f->slots);
}

int sl_swarm_formation_drop(sl_swarm *sw, int32_t id) {
  int i = find(sw, id);
  if (i < 0)
    return SL_ENOTFOUND;
  release(&sw->forms[i]);
  sw->nforms--; /* keep id order: events of one tick go out in it */
  memmove(&sw->forms[i], &sw->forms[i + 1],
          (sw->nforms - (uint32_t)i) * sizeof(*sw->forms));
  return 0;
}

int sl_swarm_formation_reached(sl_swarm *sw, int32_t id) {
  int i = find(sw, id);
  return i < 0 ? SL_ENOTFOUND : sw->forms[i].reached;
}

static int in_place(sl_swarm *sw, const struct sl_formation *f) {
  uint32_t live = 0;
  for (uint32_t k = 0; k < f->n; k++) {
    uint32_t id = f->ids[k];
    const sl_drone *d = id < sw->ndrones ? sw->drones[id] : NULL;
    if (d == NULL || d->stopped) {
      continue; /* shut down: it has left the formation */
    }
    if (d->actor == SL_ID_NONE)
      return 0; /* crashed, restarting: not there yet */
    live++;
    double dx = d->pos.x - f->slots[k].x, dy = d->pos.y - f->slots[k].y,
           dz = d->pos.z - f->slots[k].z;
    /* "below 1.0 m", the drones' own arrival rule (API.md section 2), so
     * the event goes out in the tick the last member lands on its slot */
    const double r = REACHED_WITHIN_MM / 1000.0 - SL_ARRIVAL_SLACK;
    if (dx * dx + dy * dy + dz * dz >= r * r)
      return 0;
  }
  return live > 0;
}

void sl__formations_check(sl_swarm *sw) {
  /* Publishing runs no handler here (they run from the run queue), so the
   * array cannot change under the loop. */
  for (uint32_t i = 0; i < sw->nforms; i++) {
    struct sl_formation *f = &sw->forms[i];
    if (f->reached || !in_place(sw, f))
      continue;
    f->reached = 1;
    sl_event ev;
    sl_event_init(&ev, SL_EV_FORMATION_REACHED, sl__swarm_now(sw));
    ev.formation = f->id;
    sl__swarm_publish(sw, &ev);
  }
}

void sl__formations_free(sl_swarm *sw) {
  for (uint32_t i = 0; i < sw->nforms; i++)
    release(&sw->forms[i]);
  free(sw->forms);
  sw->forms = NULL;
  sw->nforms = sw->capforms = 0;
}
