/*
 * coord.c -- the coordinator: registry, health, missions, targets, alert.
 *
 * The coordinator is an actor.  Drones tell it what matters by message (a
 * lap done, a mission left, a target seen); the swarm's own calls (create a
 * mission, add a target) and the health check run its functions directly
 * on the engine's thread; a mission's deadline is a message to it too, so
 * that it comes after the reports of the same instant.  It reads drones
 * only through their published statuses and the grid built from them.
 *
 * Rules (API.md sections 4 and 5, and its amendments):
 *  - eligible: registered, online, no mission (as published, and as the
 *    coordinator gave them: `assigned`), idle, battery above low_battery,
 *    and, for a mission or a support flight, able to fly to its next
 *    waypoint (or the target) and home holding low_battery (the exact
 *    published battery, sl__drone_can_make_trip);
 *  - the best drone for a mission is the eligible one nearest (horizontally)
 *    to the area's centre, ties to the lowest id; for support, the eligible
 *    one nearest to the target, not the detector;
 *  - a mission whose drone leaves keeps its laps and its place in the lap
 *    and goes to the best eligible drone, or waits as pending; pending
 *    missions are assigned, oldest first, as soon as a drone can take
 *    them; a silent drone's mission is handed over when it goes offline;
 *  - each target is detected once, by the first drone that reports it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flight.h"
#include "swarm.h"

const char *const sl_mission_status_names[] = {"pending", "assigned",
                                               "completed", "cancelled",
                                               "failed"};

static void publish_mission(sl_swarm *sw, int type, const sl_mission *m,
                            int64_t drone, const char *reason) {
  sl_event ev;
  sl_event_init(&ev, type, sl__swarm_now(sw));
  sl_event_set(&ev.mission, m->id);
  ev.drone = drone;
  if (reason)
    sl_event_set(&ev.reason, reason);
  sl__swarm_publish(sw, &ev);
}

static void target_event(sl_event *ev, const sl_target *t) {
  ev->target = t->id;
  ev->x = t->pos.x;
  ev->y = t->pos.y;
  ev->z = t->pos.z;
  ev->threat = t->threat;
}

/* --- eligibility and choice ----------------------------------------------- */

typedef struct choose {
  sl_swarm *sw;
  int64_t exclude;
  const sl_vec3 *dest; /* where the flight goes (the energy rule), or NULL */
} choose;

static int eligible(void *ud, uint32_t id) {
  choose *c = ud;
  sl_swarm *sw = c->sw;
  if ((int64_t)id == c->exclude || id >= sw->ndrones)
    return 0;
  sl_drone *d = sw->drones[id];
  if (d == NULL || d->stopped || !d->online || d->actor == SL_ID_NONE ||
      d->reserved || d->assigned >= 0)
    return 0;
  const sl_drone_status *st = sl__drone_status(d);
  if (st == NULL || st->state != SL_DS_IDLE || st->mission >= 0 ||
      sl_battery_pct(st->battery_np) <= d->o.low_battery)
    return 0;
  return c->dest == NULL || sl__drone_can_make_trip(d, st, *c->dest);
}

int sl_swarm_eligible(sl_swarm *sw, uint32_t id) {
  choose c = {sw, -1, NULL};
  return eligible(&c, id);
}

typedef struct ranked {
  double d2;
  uint32_t id;
} ranked;

static int by_distance(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->d2 != y->d2)
    return x->d2 < y->d2 ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

uint32_t sl_swarm_nearest_eligible(sl_swarm *sw, sl_vec3 near, uint32_t n,
                                   uint32_t *ids) {
  ranked *r = malloc((sw->ndrones + 1) * sizeof(*r));
  if (r == NULL)
    return 0;
  uint32_t m = 0;
  choose c = {sw, -1, NULL};
  for (uint32_t i = 0; i < sw->ndrones; i++) {
    if (!eligible(&c, i))
      continue;
    const sl_drone_status *st = sl__drone_status(sw->drones[i]);
    double dx = st->pos.x - near.x, dy = st->pos.y - near.y;
    r[m].d2 = dx * dx + dy * dy;
    r[m].id = i;
    m++;
  }
  qsort(r, m, sizeof(*r), by_distance);
  if (n > m)
    n = m;
  for (uint32_t i = 0; i < n; i++)
    ids[i] = r[i].id;
  free(r);
  return n;
}

/* The eligible drone nearest (horizontally) to `near` that can fly to
 * `dest` and home holding low_battery, ties to the lowest id; -1: none. */
static int64_t best_drone(sl_swarm *sw, sl_vec3 near, int64_t exclude,
                          sl_vec3 dest) {
  choose c = {sw, exclude, &dest};
  return sl_grid_nearest(&sw->dgrid, near.x, near.y, eligible, &c);
}

/* --- missions ------------------------------------------------------------ */

/* The mission's drone, as the coordinator sees it, no longer has it. */
static void unassign(sl_swarm *sw, sl_mission *m) {
  if (m->drone < 0 || (uint32_t)m->drone >= sw->ndrones)
    return;
  sl_drone *d = sw->drones[m->drone];
  if (d != NULL && d->assigned == (int32_t)m->seq)
    d->assigned = -1;
}

static void assign(sl_swarm *sw, sl_mission *m, uint32_t drone) {
  if (m->status == SL_MS_PENDING)
    sw->npending--;
  m->status = SL_MS_ASSIGNED;
  m->drone = (int32_t)drone;
  sw->drones[drone]->assigned = (int32_t)m->seq;
  publish_mission(sw, SL_EV_MISSION_ASSIGNED, m, drone, NULL);
  sl__drone_assign(sw, sw->drones[drone], (int32_t)(m->seq));
}

static void make_pending(sl_swarm *sw, sl_mission *m) {
  if (m->status != SL_MS_PENDING)
    sw->npending++;
  unassign(sw, m);
  m->status = SL_MS_PENDING;
  m->drone = -1;
}

static int try_assign(sl_swarm *sw, sl_mission *m) {
  int64_t d = best_drone(sw, sl_area_center(&m->area), -1, m->wp[m->wpi]);
  if (d < 0)
    return 0;
  assign(sw, m, (uint32_t)d);
  return 1;
}

/* Pending missions, oldest first, each to its best drone.  Which drones
 * can take a mission now depends on the mission (the energy rule), so one
 * that finds none no longer ends the pass.  The drones free for any
 * mission are gathered once; each mission picks among them as
 * best_drone would (horizontal distance to its centre as the grid
 * measures it, ties to the lowest id, then the trip). */
void sl__coord_assign_pending(sl_swarm *sw) {
  if (sw->npending == 0)
    return;
  if (sw->capcand < sw->ndrones) {
    uint32_t *v = realloc(sw->cand, sw->ndrones * sizeof(*v));
    if (v == NULL)
      return; /* out of memory: the next pass tries again */
    sw->cand = v;
    sw->capcand = sw->ndrones;
  }
  choose c = {sw, -1, NULL};
  uint32_t n = 0;
  for (uint32_t i = 0; i < sw->ndrones; i++)
    if (eligible(&c, i))
      sw->cand[n++] = i;
  for (uint32_t i = 0; i < sw->nmissions && sw->npending > 0 && n > 0; i++) {
    sl_mission *m = sw->missions[i];
    if (m->status != SL_MS_PENDING)
      continue;
    sl_vec3 center = sl_area_center(&m->area), dest = m->wp[m->wpi];
    int64_t best = -1;
    uint32_t at = 0;
    double best_d = INFINITY;
    for (uint32_t k = 0; k < n; k++) {
      uint32_t id = sw->cand[k];
      const sl_drone_status *st = sl__drone_status(sw->drones[id]);
      double dx = st->pos.x - center.x, dy = st->pos.y - center.y;
      double dist = sqrt(dx * dx + dy * dy);
      if ((dist < best_d || (dist == best_d && (int64_t)id < best)) &&
          sl__drone_can_make_trip(sw->drones[id], st, dest)) {
        best = id;
        best_d = dist;
        at = k;
      }
    }
    if (best < 0)
      continue;
    sw->cand[at] = sw->cand[--n]; /* taken */
    assign(sw, m, (uint32_t)best);
  }
}

/* Ends a mission (completed, cancelled, failed): the mission's event goes
 * out first, then its drone turns for home. */
static void finish(sl_swarm *sw, sl_mission *m, int status, int event,
                   const char *event_reason, const char *why) {
  if (m->status == SL_MS_PENDING)
    sw->npending--;
  int32_t drone = m->drone;
  unassign(sw, m);
  m->status = (uint8_t)status;
  sl_timer_stop(&m->deadline_timer);
  if (status == SL_MS_COMPLETED)
    sw->missions_completed++;
  publish_mission(sw, event, m, event == SL_EV_MISSION_COMPLETED ? drone : -1,
                  event_reason);
  if (drone >= 0) {
    sl_drone *d = sw->drones[drone];
    if (d != NULL && !d->stopped && d->mission == (int32_t)m->seq)
      sl__drone_release(sw, d, why);
  }
}

/* The deadline is judged by the coordinator, behind what drones reported
 * before it: a lap flown at the deadline instant was reported by the tick
 * of that instant, which fires before the deadline timer (timers due
 * together fire in start order and the tick's came first), so its message
 * is ahead of this one in the mailbox.  Done by the deadline is done. */
static void deadline_due(sl_timer *t) {
  sl_mission *m = (sl_mission *)t;
  sl__coord_tell(m->sw, SL_COORD_DEADLINE, m->seq, 0);
}

static void deadline_passed(sl_swarm *sw, uint32_t mission) {
  if (mission >= sw->nmissions)
    return;
  sl_mission *m = sw->missions[mission];
  if (m->status != SL_MS_PENDING && m->status != SL_MS_ASSIGNED)
    return;
  finish(sw, m, SL_MS_FAILED, SL_EV_MISSION_FAILED, "deadline",
         "mission_failed");
}

static void uuid4(sl_swarm *sw, char out[37]) {
  uint64_t a = sl_rng_next(sl_engine_rng(sw->e));
  uint64_t b = sl_rng_next(sl_engine_rng(sw->e));
  a = (a & ~0xf000ull) | 0x4000ull;                          /* version 4 */
  b = (b & ~0xc000000000000000ull) | 0x8000000000000000ull; /* variant 10 */
  snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx",
           (unsigned)(a >> 32), (unsigned)((a >> 16) & 0xffff),
           (unsigned)(a & 0xffff), (unsigned)(b >> 48),
           (unsigned long long)(b & 0xffffffffffffull));
}

int sl_swarm_create_mission(sl_swarm *sw, const sl_area *area, double spacing,
                            uint32_t laps, int queue, int64_t deadline_us,
                            const char **id) {
  *id = NULL;
  if (sw->shut)
    return SL_ECLOSED;
  sl_vec3 *wp;
  uint32_t nwp;
  int rc = sl_area_waypoints(area, spacing, &wp, &nwp);
  if (rc != 0)
    return rc; /* a bad area is an error even when no drone is free */
  int64_t best = best_drone(sw, sl_area_center(area), -1, wp[0]);
  if (best < 0 && !queue) {
    free(wp);
    return SL_ENODRONE;
  }
  if (sw->nmissions == sw->capmissions) {
    uint32_t cap = sw->capmissions ? sw->capmissions * 2 : 16;
    sl_mission **v = realloc(sw->missions, cap * sizeof(*v));
    if (v == NULL) {
      free(wp);
      return SL_ENOMEM;
    }
    sw->missions = v;
    sw->capmissions = cap;
  }
  sl_mission *m = calloc(1, sizeof(*m));
  if (m == NULL) {
    free(wp);
    return SL_ENOMEM;
  }
  sl_timer_init(sw->e, &m->deadline_timer);
  m->sw = sw;
  uuid4(sw, m->id);
  m->seq = sw->nmissions;
  m->status = SL_MS_PENDING;
  sw->npending++;
  m->drone = -1;
  m->laps = laps;
  m->area = *area;
  m->wp = wp;
  m->nwp = nwp;
  m->created = sl__swarm_now(sw);
  m->deadline = deadline_us >= 0 ? m->created + deadline_us : -1;
  sw->missions[sw->nmissions++] = m;
  if (deadline_us >= 0)
    sl_timer_start(&m->deadline_timer, deadline_due, deadline_us, 0);
  publish_mission(sw, SL_EV_MISSION_CREATED, m, -1, NULL);
  if (best >= 0)
    assign(sw, m, (uint32_t)best);
  *id = m->id;
  return 0;
}

sl_mission *sl_swarm_mission(sl_swarm *sw, const char *id) {
  for (uint32_t i = 0; i < sw->nmissions; i++)
    if (strcmp(sw->missions[i]->id, id) == 0)
      return sw->missions[i];
  return NULL;
}

int sl_swarm_cancel_mission(sl_swarm *sw, const char *id) {
  sl_mission *m = sl_swarm_mission(sw, id);
  if (m == NULL ||
      (m->status != SL_MS_PENDING && m->status != SL_MS_ASSIGNED))
    return SL_ENOTFOUND;
  finish(sw, m, SL_MS_CANCELLED, SL_EV_MISSION_CANCELLED, NULL,
         "mission_cancelled");
  return 0;
}

void sl__coord_cancel_all(sl_swarm *sw) {
  for (uint32_t i = 0; i < sw->nmissions; i++) {
    sl_mission *m = sw->missions[i];
    if (m->status == SL_MS_PENDING || m->status == SL_MS_ASSIGNED)
      finish(sw, m, SL_MS_CANCELLED, SL_EV_MISSION_CANCELLED, NULL,
             "mission_cancelled");
  }
}

static void lap_done(sl_swarm *sw, uint32_t mission, uint32_t drone) {
  if (mission >= sw->nmissions)
    return;
  sl_mission *m = sw->missions[mission];
  if (m->status != SL_MS_ASSIGNED || m->drone != (int32_t)drone)
    return;
  m->laps_done++;
  if (m->laps > 0 && m->laps_done >= m->laps)
    finish(sw, m, SL_MS_COMPLETED, SL_EV_MISSION_COMPLETED, NULL,
           "mission_completed");
}

static void mission_left(sl_swarm *sw, uint32_t mission, uint32_t drone) {
  if (mission >= sw->nmissions)
    return;
  sl_mission *m = sw->missions[mission];
  if (m->status != SL_MS_ASSIGNED || m->drone != (int32_t)drone)
    return;
  make_pending(sw, m);
  if (!sw->shut)
    try_assign(sw, m);
}

/* --- targets and the alert level ----------------------------------------- */

/* From the counts of detected targets by threat, kept as they are seen and
 * lost: a detection costs O(1), not a pass over every target. */
static void update_alert(sl_swarm *sw) {
  int threat = SL_THREAT_CRITICAL;
  while (threat >= SL_THREAT_LOW && sw->threats[threat] == 0)
    threat--;
  /* none or low: normal; medium: elevated; high; critical */
  uint8_t level = threat <= SL_THREAT_LOW ? 0 : (uint8_t)threat;
  if (level == sw->alert)
    return;
  sw->alert = level;
  sl_event ev;
  sl_event_init(&ev, SL_EV_ALERT_LEVEL, sl__swarm_now(sw));
  ev.level = level;
  sl__swarm_publish(sw, &ev);
}

static void detect(sl_swarm *sw, uint32_t drone, uint32_t target) {
  if (target >= sw->ntargets || drone >= sw->ndrones)
    return;
  sl_target *t = &sw->targets[target];
  if (t->detected || t->removed)
    return; /* once per target: the first report wins */
  t->detected = 1;
  sw->threats[t->threat]++;
  sl_grid_remove(&sw->tgrid, t->id);
  sw->targets_detected++;
  sl_event ev;
  sl_event_init(&ev, SL_EV_TARGET_DETECTED, sl__swarm_now(sw));
  ev.drone = drone;
  target_event(&ev, t);
  sl__swarm_publish(sw, &ev);
  update_alert(sw);
  if (!sw->o.auto_support || t->threat < SL_THREAT_HIGH)
    return;
  sl_drone *det = sw->drones[drone];
  sl_vec3 goal = sl_v3(t->pos.x, t->pos.y, det->pos.z);
  int64_t helper = best_drone(sw, t->pos, drone, goal);
  if (helper < 0)
    return;
  sl__drone_support(sw, sw->drones[helper], goal);
  sl_event_init(&ev, SL_EV_SUPPORT_ASSIGNED, sl__swarm_now(sw));
  ev.drone = helper;
  target_event(&ev, t);
  sl__swarm_publish(sw, &ev);
}

int sl_swarm_add_target(sl_swarm *sw, sl_vec3 pos, int threat, sl_vec3 vel,
                        uint32_t *id) {
  if (threat < SL_THREAT_LOW || threat > SL_THREAT_CRITICAL)
    return SL_EINVAL;
  if (sw->ntargets == sw->captargets) {
    uint32_t cap = sw->captargets ? sw->captargets * 2 : 16;
    sl_target *v = realloc(sw->targets, cap * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    sw->targets = v;
    sw->captargets = cap;
  }
  sl_target *t = &sw->targets[sw->ntargets];
  memset(t, 0, sizeof(*t));
  t->id = sw->ntargets++;
  t->pos = pos;
  t->vel = vel;
  t->threat = (uint8_t)threat;
  sl_grid_set(&sw->tgrid, t->id, pos.x, pos.y);
  *id = t->id;
  return 0;
}

int sl_swarm_remove_target(sl_swarm *sw, uint32_t id) {
  if (id >= sw->ntargets || sw->targets[id].removed)
    return SL_ENOTFOUND;
  sl_target *t = &sw->targets[id];
  t->removed = 1;
  sl_grid_remove(&sw->tgrid, id);
  if (t->detected) {
    sw->threats[t->threat]--;
    sl_event ev;
    sl_event_init(&ev, SL_EV_TARGET_LOST, sl__swarm_now(sw));
    target_event(&ev, t);
    sl__swarm_publish(sw, &ev);
    update_alert(sw);
  }
  return 0;
}

int sl_swarm_scatter_targets(sl_swarm *sw, uint32_t count,
                             const sl_area *area) {
  sl_rng *r = sl_engine_rng(sw->e);
  for (uint32_t i = 0; i < count; i++) {
    double x = area->minx + sl_rng_double(r) * (area->maxx - area->minx);
    double y = area->miny + sl_rng_double(r) * (area->maxy - area->miny);
    int threat = (int)sl_rng_below(r, 4);
    uint32_t id;
    int rc = sl_swarm_add_target(sw, sl_v3(x, y, 0), threat, sl_v3(0, 0, 0),
                                 &id);
    if (rc != 0)
      return rc;
  }
  return 0;
}

void sl__coord_move_targets(sl_swarm *sw) {
  double dt = (double)sw->o.tick_us / 1e6;
  for (uint32_t i = 0; i < sw->ntargets; i++) {
    sl_target *t = &sw->targets[i];
    if (t->removed || (t->vel.x == 0 && t->vel.y == 0 && t->vel.z == 0))
      continue;
    t->pos = sl_v3(t->pos.x + t->vel.x * dt, t->pos.y + t->vel.y * dt,
                   t->pos.z + t->vel.z * dt);
    if (!t->detected)
      sl_grid_set(&sw->tgrid, t->id, t->pos.x, t->pos.y);
  }
}

/* --- health -------------------------------------------------------------- */

void sl__coord_health(sl_swarm *sw) {
  int64_t now = sl__swarm_now(sw);
  /* First everyone's standing, then the consequences: a mission taken from
   * a silent drone must not go to another one this same check finds
   * silent. */
  uint32_t gone = 0;
  for (uint32_t i = 0; i < sw->ndrones; i++) {
    sl_drone *d = sw->drones[i];
    if (d == NULL || d->stopped)
      continue;
    int silent = now - d->last_report > sw->o.offline_us;
    if (d->online == !silent)
      continue;
    d->online = (uint8_t)!silent;
    sl_event ev;
    sl_event_init(&ev, silent ? SL_EV_DRONE_OFFLINE : SL_EV_DRONE_ONLINE, now);
    ev.drone = d->id;
    sl__swarm_publish(sw, &ev);
    gone += silent;
  }
  for (uint32_t i = 0; i < sw->ndrones && gone > 0; i++) {
    sl_drone *d = sw->drones[i];
    if (d == NULL || d->stopped || d->online)
      continue;
    int32_t m = d->assigned;
    if (m >= 0) {
      /* A silent drone cannot fly a mission: it is taken from it (the
       * drone flies on, on its own). */
      if (d->mission == m)
        d->mission = -1;
      mission_left(sw, (uint32_t)m, d->id);
    }
  }
  if (sw->npending > 0)
    sl__coord_assign_pending(sw);
}

/* --- the actor ------------------------------------------------------------ */

static int coord_handle(sl_actor *self, sl_msg *m) {
  sl_swarm *sw = sl_actor_state(self);
  switch (m->type) {
  case SL_COORD_LAP:
    lap_done(sw, (uint32_t)m->a.i, (uint32_t)m->b.i);
    break;
  case SL_COORD_LEFT:
    mission_left(sw, (uint32_t)m->a.i, (uint32_t)m->b.i);
    break;
  case SL_COORD_DETECT:
    detect(sw, (uint32_t)m->a.i, (uint32_t)m->b.i);
    break;
  case SL_COORD_DEADLINE:
    deadline_passed(sw, (uint32_t)m->a.i);
    break;
  default:
    break;
  }
  return 0;
}

static const sl_behaviour coord_behaviour = {"coordinator", NULL,
                                             coord_handle, NULL};

int sl__coord_start(sl_swarm *sw) {
  sl_spawn_opts o = {1u << 20, SL_ID_NONE, NULL};
  return sl_actor_spawn(sw->e, &coord_behaviour, sw, &o, &sw->coord);
}

void sl__coord_tell(sl_swarm *sw, uint32_t kind, int64_t a, int64_t b) {
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.type = kind;
  m.a.i = a;
  m.b.i = b;
  sl_actor_send(sw->e, sw->coord, &m, NULL, NULL); /* never dropped */
}
