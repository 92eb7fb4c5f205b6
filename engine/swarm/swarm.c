/*
 * swarm.c -- the swarm object: drones' records, the tick, telemetry, the
 * drone supervisor, statistics and shutdown (see swarm.h for the picture).
 *
 * Three timers drive it: the tick (every drone, in id order), telemetry
 * (every drone publishes its status and a sample) and the coordinator's
 * health check.  They are started in that order, so at an instant where
 * several are due they run tick, telemetry, health.  Crashed drone actors
 * are restarted by a monitor (the drone supervisor) from their last
 * published status, with no limit: a swarm does not give up on a drone.
 */
#include "swarm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sl_swarm_default_opts(sl_swarm_opts *o) {
  memset(o, 0, sizeof(*o));
  o->tick_us = 100000;
  o->telemetry_us = 100000;
  o->health_us = 5000000;
  o->offline_us = 30000000;
  o->event_capacity = 1024;
  o->auto_support = 1;
  o->drone = (sl_drone_opts){10, 50, 30, 15, 1, 5, 64};
}

void sl__swarm_publish(sl_swarm *sw, sl_event *ev) {
  sl_bus_publish(&sw->bus, ev);
}

const char *sl_swarm_intern(sl_swarm *sw, const char *s) {
  for (uint32_t i = 0; i < sw->nstrs; i++)
    if (strcmp(sw->strs[i], s) == 0)
      return sw->strs[i];
  char **v = realloc(sw->strs, (sw->nstrs + 1) * sizeof(*v));
  if (v == NULL)
    return "emergency";
  sw->strs = v;
  if ((v[sw->nstrs] = strdup(s)) == NULL)
    return "emergency";
  return v[sw->nstrs++];
}

/* --- telemetry ------------------------------------------------------------ */

static const sl_field sample_fields[] = {
    {"drone", SL_F_INT, offsetof(sl_sample, drone), NULL, 0},
    {"t", SL_F_NUM, offsetof(sl_sample, t), NULL, 0},
    {"position.x", SL_F_NUM, offsetof(sl_sample, px), NULL, 0},
    {"position.y", SL_F_NUM, offsetof(sl_sample, py), NULL, 0},
    {"position.z", SL_F_NUM, offsetof(sl_sample, pz), NULL, 0},
    {"battery", SL_F_INT, offsetof(sl_sample, battery), NULL, 0},
    {"state", SL_F_CAT, offsetof(sl_sample, state), sl_state_names,
     SL_DS_COUNT},
    {"velocity.x", SL_F_NUM, offsetof(sl_sample, vx), NULL, 0},
    {"velocity.y", SL_F_NUM, offsetof(sl_sample, vy), NULL, 0},
    {"velocity.z", SL_F_NUM, offsetof(sl_sample, vz), NULL, 0},
};
const sl_schema sl_sample_schema = {"sample", sizeof(sl_sample),
                                    sample_fields, 10};

int sl_swarm_telemetry_add(sl_swarm *sw, sl_tele_fn fn, void *ud) {
  if (sw->ntele == sw->captele) {
    uint32_t cap = sw->captele ? sw->captele * 2 : 4;
    struct sl_tele_sub *v = realloc(sw->tele, cap * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    sw->tele = v;
    sw->captele = cap;
  }
  sw->tele[sw->ntele].fn = fn;
  sw->tele[sw->ntele].ud = ud;
  sw->ntele++;
  return 0;
}

/* During the telemetry pass a removed subscriber only leaves a hole (fn
 * NULL): moving the others down would make the pass, which walks the list
 * by index, skip the one after it.  The holes go when the pass ends. */
void sl_swarm_telemetry_remove(sl_swarm *sw, void *ud) {
  for (uint32_t i = 0; i < sw->ntele; i++)
    if (sw->tele[i].fn != NULL && sw->tele[i].ud == ud) {
      if (sw->tele_busy) {
        sw->tele[i].fn = NULL;
        sw->tele[i].ud = NULL;
        sw->tele_holes = 1;
        return;
      }
      memmove(&sw->tele[i], &sw->tele[i + 1],
              (sw->ntele - i - 1) * sizeof(*sw->tele));
      sw->ntele--;
      return;
    }
}

static void telemetry_compact(sl_swarm *sw) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < sw->ntele; i++)
    if (sw->tele[i].fn != NULL)
      sw->tele[n++] = sw->tele[i];
  sw->ntele = n;
  sw->tele_holes = 0;
}

static void on_telemetry(sl_timer *t) {
  sl_swarm *sw = t->data;
  int64_t now = sw->pass_now = sl_engine_now(sw->e);
  sw->in_pass = 1;
  sw->tele_busy = 1;
  for (uint32_t i = 0; i < sw->ndrones; i++) {
    sl_drone *d = sw->drones[i];
    if (d == NULL || d->stopped || d->actor == SL_ID_NONE || d->comms_lost)
      continue;
    sl__drone_publish(sw, d);
    if (sw->ntele == 0)
      continue;
    sl_sample smp = {d->id,    (double)now / 1e6, d->pos.x,
                     d->pos.y, d->pos.z,          sl_battery_pct(d->battery_np),
                     d->state, d->vel.x,          d->vel.y,
                     d->vel.z};
    /* A subscriber may leave the list from inside a call (a filter that
     * cancels a subscription): it leaves a hole, skipped here.  One that
     * joins is appended (the list may move): walk by index, re-reading
     * the count, so it gets this pass's later samples. */
    for (uint32_t k = 0; k < sw->ntele; k++) {
      if (sw->tele[k].fn == NULL)
        continue;
      sl_item it;
      sl_item_record(&it, &sl_sample_schema, &smp, now);
      sw->tele[k].fn(sw->tele[k].ud, &it);
    }
  }
  sw->tele_busy = 0;
  if (sw->tele_holes)
    telemetry_compact(sw);
  sw->in_pass = 0;
}

/* --- the tick ------------------------------------------------------------- */

static void on_tick(sl_timer *t) {
  sl_swarm *sw = t->data;
  /* The timer was re-armed before this call: it was due one period ago. */
  sw->pass_now = sl_engine_now(sw->e);
  int64_t late = sw->pass_now - (t->due - t->repeat);
  if (late > sw->worst_late_us)
    sw->worst_late_us = late;
  sw->ticks++;
  sw->in_pass = 1;
  if (sw->ntargets > 0)
    sl__coord_move_targets(sw);
  for (uint32_t i = 0; i < sw->ndrones; i++) {
    sl_drone *d = sw->drones[i];
    if (d != NULL && !d->stopped && d->actor != SL_ID_NONE)
      sl__drone_tick(sw, d);
  }
  if (sw->nforms > 0)
    sl__formations_check(sw);
  if (sw->npending > 0)
    sl__coord_assign_pending(sw);
  sw->in_pass = 0;
}

static void on_health(sl_timer *t) { sl__coord_health(t->data); }

/* --- the drone supervisor ------------------------------------------------- */

static void drone_down(sl_engine *e, void *ud, sl_id actor, int reason,
                       const char *msg);

static int watch_drone(sl_swarm *sw, sl_drone *d) {
  uint64_t mon;
  return sl_actor_monitor_cb(sw->e, d->actor, drone_down, d, &mon);
}

static void drone_down(sl_engine *e, void *ud, sl_id actor, int reason,
                       const char *msg) {
  (void)e;
  (void)actor;
  sl_drone *d = ud;
  sl_swarm *sw = d->sw;
  /* Stopped on purpose: unregistered in its stop hook.  Crashed, but the
   * swarm shut down before this notice came: sl_swarm_shutdown has
   * unregistered it. */
  if (reason >= 0 || sw->shut || d->stopped)
    return;
  /* Back from its last published status: position, battery, state. */
  const sl_drone_status *st = sl__drone_status(d);
  if (st != NULL) {
    d->pos = st->pos;
    d->vel = st->vel;
    d->battery_np = st->battery_np;
    d->state = st->state;
    d->reason = st->reason;
    d->mission = -1;
    if (st->mission >= 0 && (uint32_t)st->mission < sw->nmissions) {
      sl_mission *m = sw->missions[st->mission];
      if (m->status == SL_MS_ASSIGNED && m->drone == (int32_t)d->id)
        d->mission = st->mission;
    }
  }
  if (sl__drone_start(sw, d) != 0 || watch_drone(sw, d) != 0) {
    sl__drone_carry_free(d);
    return;
  }
  sl__drone_carry_over(sw, d); /* what it was told and had not done yet */
  sw->restarts++;
  sl_event ev;
  sl_event_init(&ev, SL_EV_DRONE_RESTARTED, sl__swarm_now(sw));
  ev.drone = d->id;
  sl_event_set(&ev.reason, msg ? msg : "crash");
  sl__swarm_publish(sw, &ev);
}

/* --- drones ---------------------------------------------------------------- */

static const sl_elem_ops status_ops = {sizeof(sl_drone_status), NULL, NULL};

sl_drone *sl_swarm_drone(sl_swarm *sw, uint32_t id) {
  if (id >= sw->ndrones)
    return NULL;
  sl_drone *d = sw->drones[id];
  if (d == NULL || d->stopped || !sl_actor_alive(sw->e, d->actor))
    return NULL;
  return d;
}

/* Registers a drone record under its id.  SL_EEXIST if taken. */
int sl_swarm_register(sl_swarm *sw, sl_drone *d) {
  if (d->id < sw->ndrones && sw->drones[d->id] != NULL)
    return SL_EEXIST;
  if (d->id >= sw->capdrones) {
    uint32_t cap = sw->capdrones ? sw->capdrones * 2 : 64;
    while (cap <= d->id)
      cap *= 2;
    sl_drone **v = realloc(sw->drones, cap * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    memset(v + sw->capdrones, 0, (cap - sw->capdrones) * sizeof(*v));
    sw->drones = v;
    sw->capdrones = cap;
  }
  sw->drones[d->id] = d;
  if (d->id >= sw->ndrones)
    sw->ndrones = d->id + 1;
  sw->live++;
  return 0;
}

int sl_swarm_spawn_drone(sl_swarm *sw, sl_vec3 base, int battery,
                         const sl_drone_opts *opts, uint32_t *id) {
  if (sw->shut)
    return SL_ECLOSED;
  if (battery < 0 || battery > 100)
    return SL_EINVAL;
  sl_drone *d = calloc(1, sizeof(*d));
  if (d == NULL)
    return SL_ENOMEM;
  d->sw = sw;
  d->id = sw->ndrones;
  d->o = opts ? *opts : sw->o.drone;
  d->base = d->pos = d->goal = base;
  d->state = SL_DS_INITIALIZING;
  d->reason = "spawned";
  d->battery_np = (int64_t)battery * SL_NP_PER_PCT;
  d->mission = -1;
  d->assigned = -1;
  d->online = 1;
  double tick_s = (double)sw->o.tick_us / 1e6;
  d->drain_np = llround(d->o.drain * tick_s * 1e9);
  d->charge_np = llround(d->o.charge_rate * tick_s * 1e9);
  d->step_m = d->o.speed * tick_s; /* as step() in drone.c computes it */
  int rc = sl_watch_init(&d->status, sw->e, &status_ops, NULL);
  if (rc == 0)
    rc = sl_swarm_register(sw, d);
  if (rc != 0) {
    sl_watch_free(&d->status);
    free(d);
    return rc;
  }
  if ((rc = sl__drone_start(sw, d)) != 0 || (rc = watch_drone(sw, d)) != 0) {
    d->stopped = 1; /* the slot keeps its id; the drone never flew */
    sw->live--;
    return rc;
  }
  sl__drone_publish(sw, d);
  sl_event ev;
  sl_event_init(&ev, SL_EV_DRONE_REGISTERED, sl_engine_now(sw->e));
  ev.drone = d->id;
  sl__swarm_publish(sw, &ev);
  *id = d->id;
  return 0;
}

/* --- the swarm ------------------------------------------------------------ */

int sl_swarm_init(sl_swarm *sw, sl_engine *e, const sl_swarm_opts *o) {
  memset(sw, 0, sizeof(*sw));
  sw->e = e;
  if (o != NULL)
    sw->o = *o;
  else
    sl_swarm_default_opts(&sw->o);
  int rc = sl_bus_init(&sw->bus, e, sw->o.event_capacity);
  if (rc != 0)
    return rc;
  double cell = sw->o.drone.scan_radius > 0 ? sw->o.drone.scan_radius : 50;
  if ((rc = sl_grid_init(&sw->dgrid, 100)) != 0 ||
      (rc = sl_grid_init(&sw->tgrid, cell)) != 0 ||
      (rc = sl__coord_start(sw)) != 0) {
    sl_swarm_free(sw);
    return rc;
  }
  sl_timer_init(e, &sw->tick);
  sl_timer_init(e, &sw->telemetry);
  sl_timer_init(e, &sw->health);
  sw->tick.data = sw->telemetry.data = sw->health.data = sw;
  sl_timer_start(&sw->tick, on_tick, sw->o.tick_us, sw->o.tick_us);
  sl_timer_start(&sw->telemetry, on_telemetry, sw->o.telemetry_us,
                 sw->o.telemetry_us);
  sl_timer_start(&sw->health, on_health, sw->o.health_us, sw->o.health_us);
  return 0;
}

void sl_swarm_stats_get(sl_swarm *sw, sl_swarm_stats *st) {
  memset(st, 0, sizeof(*st));
  st->t = (double)sl_engine_now(sw->e) / 1e6;
  for (uint32_t i = 0; i < sw->ndrones; i++) {
    sl_drone *d = sw->drones[i];
    if (d == NULL || d->stopped)
      continue;
    st->drones++;
    if (d->online)
      st->online++;
    else
      st->offline++;
  }
  for (uint32_t i = 0; i < sw->nmissions; i++)
    if (sw->missions[i]->status == SL_MS_ASSIGNED)
      st->active_missions++;
  st->pending_missions = sw->npending;
  st->missions_completed = sw->missions_completed;
  st->targets_detected = sw->targets_detected;
  st->messages_sent = sw->e->msgs_sent;
  st->messages_received = sw->e->msgs_received;
  st->restarts = sw->restarts;
}

void sl_swarm_shutdown_begin(sl_swarm *sw) {
  if (sw->shut)
    return;
  sl__coord_cancel_all(sw); /* missions end first */
  sw->shut = 1;
  sl_timer_stop(&sw->tick);
  sl_timer_stop(&sw->telemetry);
  sl_timer_stop(&sw->health);
  sl_event ev;
  sl_event_init(&ev, SL_EV_SYSTEM_SHUTDOWN, sl_engine_now(sw->e));
  sl__swarm_publish(sw, &ev);
}

void sl_swarm_shutdown_finish(sl_swarm *sw, int64_t timeout_us) {
  if (sw->shut != 1)
    return;
  sw->shut = 2;
  sl_engine_shutdown(sw->e, timeout_us);
  /* A drone that crashed and whose restart notice has not run yet has no
   * actor for the engine to stop, and drone_down restarts nothing once the
   * swarm is shut: such drones are unregistered here, after the drones the
   * engine stopped, last-spawned first among themselves. */
  for (uint32_t i = sw->ndrones; i-- > 0;) {
    sl_drone *d = sw->drones[i];
    if (d != NULL && !d->stopped && d->actor == SL_ID_NONE)
      sl__drone_unregister(sw, d);
  }
}

void sl_swarm_shutdown(sl_swarm *sw, int64_t timeout_us) {
  sl_swarm_shutdown_begin(sw);
  sl_swarm_shutdown_finish(sw, timeout_us);
}

void sl_swarm_free(sl_swarm *sw) {
  sl_timer_stop(&sw->tick);
  sl_timer_stop(&sw->telemetry);
  sl_timer_stop(&sw->health);
  for (uint32_t i = 0; i < sw->ndrones; i++) {
    sl_drone *d = sw->drones[i];
    if (d == NULL)
      continue;
    sl_watch_free(&d->status);
    sl__drone_carry_free(d);
    free(d->wp);
    free(d);
  }
  free(sw->drones);
  for (uint32_t i = 0; i < sw->nmissions; i++) {
    sl_timer_stop(&sw->missions[i]->deadline_timer);
    free(sw->missions[i]->wp);
    free(sw->missions[i]);
  }
  free(sw->missions);
  free(sw->targets);
  free(sw->cand);
  free(sw->tele);
  sl__formations_free(sw);
  for (uint32_t i = 0; i < sw->nstrs; i++)
    free(sw->strs[i]);
  free(sw->strs);
  sl_grid_free(&sw->dgrid);
  sl_grid_free(&sw->tgrid);
  sl_bus_free(&sw->bus);
  memset(sw, 0, sizeof(*sw));
}
