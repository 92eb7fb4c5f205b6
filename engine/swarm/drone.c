/*
 * drone.c -- a drone: its actor, its state machine, its tick.
 *
 * Each tick (API.md section 2), in this order:
 *   initializing      -> idle ("initialized"), nothing else that tick;
 *   battery           drains while airborne (every state but idle-at-base,
 *                     returning-at-base, charging, initializing and landed
 *                     at 0 %), kept exactly in nano-percent so ten 0.1 s
 *                     ticks at 1 %/s drain exactly one percent and
 *                     0.004 %/s loses nothing to rounding; battery_low
 *                     once on reaching low_battery; airborne at 0 (even
 *                     told to fly on an empty battery) a forced landing
 *                     before it moves (emergency, "battery_depleted",
 *                     z = 0);
 *                     the return rule (API.md's amendments): a drone not
 *                     returning, charging or in emergency turns home
 *                     ("low_battery") when its battery is no more than the
 *                     flight home from where this tick's move would leave
 *                     it plus critical_battery (flight.c);
 *   movement          speed * tick metres towards the goal, or exactly onto
 *                     it within one step; closer than 1.0 m is arrival (the
 *                     position is set to the goal);
 *   patrolling        waypoints in order, cycling; arriving at the last one
 *                     of a mission is a lap; it scans for targets within
 *                     scan_radius (horizontal) after moving;
 *   returning         arrival at base: charging ("at_base"), or idle if full;
 *   charging          charge_rate % per second, idle ("charged") at 100.
 * An emergency drone holds position (velocity 0) and refuses move_to and
 * patrol; return_to_base and shutdown still work.  A drone with a comms
 * fault publishes nothing and hears no command until repaired (repair).
 */
#include <stdlib.h>
#include <string.h>

#include "flight.h"
#include "swarm.h"

enum {
  CMD_MOVE = 1,
  CMD_PATROL,
  CMD_RETURN,
  CMD_EMERGENCY,
  CMD_FAIL,
  CMD_REPAIR
};

const sl_drone_status *sl__drone_status(const sl_drone *d) {
  return sl_watch_borrow(&d->status);
}

static void publish_state_event(sl_swarm *sw, sl_drone *d) {
  sl_event ev;
  sl_event_init(&ev, SL_EV_DRONE_STATE, sl__swarm_now(sw));
  ev.drone = d->id;
  ev.state = d->state;
  sl_event_set(&ev.reason, d->reason);
  sl__swarm_publish(sw, &ev);
}

void sl__drone_set_state(sl_swarm *sw, sl_drone *d, int state,
                         const char *reason) {
  int changed = d->state != state;
  d->state = (uint8_t)state;
  d->reason = reason;
  if (state == SL_DS_EMERGENCY || state == SL_DS_IDLE ||
      state == SL_DS_CHARGING)
    d->vel = sl_v3(0, 0, 0);
  if (state != SL_DS_MOVING)
    d->support = 0;
  /* The coordinator decides from published statuses: a change of state
   * is published at once -- unless the drone has lost its link, when
   * nobody hears of it. */
  if (d->comms_lost)
    return;
  if (changed)
    publish_state_event(sw, d);
  sl__drone_publish(sw, d);
}

void sl__drone_publish(sl_swarm *sw, sl_drone *d) {
  sl_drone_status st = {sl__swarm_now(sw), d->pos,    d->vel,    d->battery_np,
                        d->state,          d->reason, d->mission};
  sl_watch_send(&d->status, &st);
  d->last_report = st.t;
  sl_grid_set(&sw->dgrid, d->id, d->pos.x, d->pos.y);
}

/* Leaves the drone's mission (the coordinator hands it over).  Without a
 * link the coordinator is not told: it learns from the silence. */
static void leave_mission(sl_swarm *sw, sl_drone *d) {
  if (d->mission < 0)
    return;
  int32_t m = d->mission;
  d->mission = -1;
  if (!d->comms_lost)
    sl__coord_tell(sw, SL_COORD_LEFT, m, d->id);
}

static void go_home(sl_swarm *sw, sl_drone *d, const char *reason) {
  leave_mission(sw, d);
  d->goal = d->base;
  sl__drone_set_state(sw, d, SL_DS_RETURNING, reason);
}

/* One step of speed * tick towards `goal` (sl__flight_step).  Returns 1 on
 * arrival. */
static int step(sl_drone *d, sl_vec3 goal) {
  int arrived;
  sl_vec3 u;
  d->pos = sl__flight_step(d->pos, goal, d->step_m, &arrived, &u);
  d->vel = arrived
               ? sl_v3(0, 0, 0)
               : sl_v3(u.x * d->o.speed, u.y * d->o.speed, u.z * d->o.speed);
  return arrived;
}

/* Whether the drone is in the air this tick (API.md 2: every state but
 * idle-at-base and charging), whatever its battery: a drone told to fly
 * on an empty battery is airborne, so the 0 % rule lands it where it is
 * before it moves.  Not airborne: an emergency drone at 0 % (it made its
 * forced landing and lies where it came down), and one returning while
 * already at its base (it lands there this tick, with nothing to fly). */
static int airborne(const sl_drone *d) {
  switch (d->state) {
  case SL_DS_INITIALIZING:
  case SL_DS_CHARGING:
    return 0;
  case SL_DS_IDLE:
  case SL_DS_RETURNING:
    return !sl_v3_eq(d->pos, d->base);
  case SL_DS_EMERGENCY:
    return d->battery_np > 0;
  default:
    return 1;
  }
}

/* Adds delta nano-percent to the battery, kept within 0..100 %. */
static void battery_add(sl_drone *d, int64_t delta_np) {
  int64_t np = d->battery_np + delta_np;
  if (np < 0)
    np = 0;
  if (np > 100 * SL_NP_PER_PCT)
    np = 100 * SL_NP_PER_PCT;
  d->battery_np = np;
}

static int battery_full(const sl_drone *d) {
  return d->battery_np >= 100 * SL_NP_PER_PCT;
}

typedef struct scan {
  sl_swarm *sw;
  sl_drone *d;
} scan;

static int saw(void *ud, uint32_t target, double dist) {
  (void)dist;
  scan *s = ud;
  sl__coord_tell(s->sw, SL_COORD_DETECT, s->d->id, target);
  return 0;
}

void sl__drone_tick(sl_swarm *sw, sl_drone *d) {
  if (d->state == SL_DS_INITIALIZING) {
    sl__drone_set_state(sw, d, SL_DS_IDLE, "initialized");
    return;
  }
  if (airborne(d)) {
    battery_add(d, -d->drain_np);
    int pct = sl_battery_pct(d->battery_np);
    if (!d->low_sent && pct <= d->o.low_battery && !d->comms_lost) {
      d->low_sent = 1;
      sl_event ev;
      sl_event_init(&ev, SL_EV_BATTERY_LOW, sl__swarm_now(sw));
      ev.drone = d->id;
      ev.battery = pct;
      sl__swarm_publish(sw, &ev);
    }
    if (d->battery_np == 0) { /* forced landing where it is */
      leave_mission(sw, d);
      d->pos.z = 0;
      sl__drone_set_state(sw, d, SL_DS_EMERGENCY, "battery_depleted");
      return;
    }
    if (d->state != SL_DS_RETURNING && d->state != SL_DS_CHARGING &&
        d->state != SL_DS_EMERGENCY && sl__drone_must_turn_home(d))
      go_home(sw, d, "low_battery");
  }
  switch (d->state) {
  case SL_DS_MOVING:
    if (step(d, d->goal))
      sl__drone_set_state(sw, d, SL_DS_IDLE, "arrived");
    break;
  case SL_DS_PATROLLING:
    if (step(d, d->wp[d->wpi])) {
      d->wpi++;
      if (d->wpi == d->nwp) {
        d->wpi = 0;
        if (d->mission >= 0 && !d->comms_lost)
          sl__coord_tell(sw, SL_COORD_LAP, d->mission, d->id);
      }
      if (d->mission >= 0)
        sw->missions[d->mission]->wpi = d->wpi; /* progress survives */
    }
    if (sw->tgrid.ncells > 0 && !d->comms_lost) {
      scan s = {sw, d};
      sl_grid_within(&sw->tgrid, d->pos.x, d->pos.y, d->o.scan_radius, saw,
                     &s);
    }
    break;
  case SL_DS_RETURNING:
    if (step(d, d->base))
      sl__drone_set_state(sw, d, battery_full(d) ? SL_DS_IDLE : SL_DS_CHARGING,
                          "at_base");
    break;
  case SL_DS_CHARGING:
    battery_add(d, d->charge_np);
    if (battery_full(d)) {
      d->low_sent = 0;
      sl__drone_set_state(sw, d, SL_DS_IDLE, "charged");
    }
    break;
  default: /* idle and emergency hold position */
    break;
  }
}

/* --- coordinator decisions --------------------------------------------- */

/* The coordinator's commands reach a drone only over its link: without
 * one they are lost in the air (the coordinator finds out from the
 * drone's silence, or from its report once repaired). */
void sl__drone_assign(sl_swarm *sw, sl_drone *d, int32_t mission) {
  if (d->comms_lost)
    return;
  sl_mission *m = sw->missions[mission];
  d->mission = mission;
  free(d->wp);
  d->wp = malloc(m->nwp * sizeof(*d->wp));
  if (d->wp != NULL)
    memcpy(d->wp, m->wp, m->nwp * sizeof(*d->wp));
  d->nwp = d->wp ? m->nwp : 0;
  d->wpi = m->wpi;
  sl__drone_set_state(sw, d, d->nwp ? SL_DS_PATROLLING : SL_DS_IDLE,
                      "mission");
}

void sl__drone_support(sl_swarm *sw, sl_drone *d, sl_vec3 goal) {
  if (d->comms_lost)
    return;
  d->goal = goal;
  sl__drone_set_state(sw, d, SL_DS_MOVING, "support");
  d->support = 1;
}

void sl__drone_release(sl_swarm *sw, sl_drone *d, const char *reason) {
  if (d->comms_lost)
    return;
  d->mission = -1;
  d->goal = d->base;
  sl__drone_set_state(sw, d, SL_DS_RETURNING, reason);
}

/* --- the actor ----------------------------------------------------------- */

typedef struct cmd {
  sl_vec3 *wp; /* patrol waypoints, or the move goal (one) */
  uint32_t n;
} cmd;

static void cmd_free(sl_msg *m) {
  cmd *c = m->payload;
  free(c->wp);
  free(c);
}

/* The link is back: the drone reports at once what it is doing now (a
 * drone_state when that is not what it last reported), and a mission the
 * coordinator gave it that it does not fly (it left it, or never heard of
 * it) goes back to the coordinator. */
static void link_restored(sl_swarm *sw, sl_drone *d) {
  const sl_drone_status *st = sl__drone_status(d);
  int changed =
      st == NULL || st->state != d->state || strcmp(st->reason, d->reason) != 0;
  d->comms_lost = 0;
  if (changed)
    publish_state_event(sw, d);
  sl__drone_publish(sw, d);
  if (d->assigned >= 0 && d->mission != d->assigned)
    sl__coord_tell(sw, SL_COORD_LEFT, d->assigned, d->id);
}

static void repair(sl_swarm *sw, sl_drone *d) {
  if (d->comms_lost)
    link_restored(sw, d);
  if (d->gps_fault) {
    d->gps_fault = 0;
    if (d->state == SL_DS_EMERGENCY && strcmp(d->reason, "gps_failure") == 0)
      sl__drone_set_state(sw, d, SL_DS_IDLE, "repaired"); /* hovers there */
  }
}

static int drone_handle(sl_actor *self, sl_msg *m) {
  sl_drone *d = sl_actor_state(self);
  sl_swarm *sw = d->sw;
  cmd *c = m->payload;
  if (d->comms_lost && m->type != CMD_FAIL && m->type != CMD_REPAIR)
    return 0; /* sent before the link went down, and lost with it */
  switch (m->type) {
  case CMD_MOVE:
    if (d->state == SL_DS_EMERGENCY)
      return 0; /* refused (the API answered already, when it could) */
    leave_mission(sw, d);
    d->goal = c->wp[0];
    sl__drone_set_state(sw, d, SL_DS_MOVING, "commanded");
    break;
  case CMD_PATROL:
    if (d->state == SL_DS_EMERGENCY)
      return 0;
    leave_mission(sw, d);
    free(d->wp);
    d->wp = c->wp; /* take the waypoints */
    d->nwp = c->n;
    d->wpi = 0;
    c->wp = NULL;
    sl__drone_set_state(sw, d, SL_DS_PATROLLING, "commanded");
    break;
  case CMD_RETURN:
    go_home(sw, d, "commanded");
    break;
  case CMD_EMERGENCY:
    leave_mission(sw, d);
    sl__drone_set_state(sw, d, SL_DS_EMERGENCY, (const char *)m->a.p);
    break;
  case CMD_FAIL:
    if (m->a.i == SL_FAIL_COMMS) {
      /* Silent from now on: its last report stands, mission included. */
      d->comms_lost = 1;
      go_home(sw, d, "emergency");
    } else if (m->a.i == SL_FAIL_GPS) {
      d->gps_fault = 1;
      leave_mission(sw, d);
      sl__drone_set_state(sw, d, SL_DS_EMERGENCY, "gps_failure");
    } else {
      sl_actor_set_exit_message(self, "crash");
      return SL_ECRASHED;
    }
    break;
  case CMD_REPAIR:
    repair(sw, d);
    break;
  default:
    break;
  }
  return 0;
}

/* Takes what the crashing actor's mailbox still holds: commands accepted
 * (their callers were told true) that its restart must not lose. */
static void carry_take(sl_actor *self, sl_drone *d) {
  uint32_t n = sl_mailbox_count(&self->mbox);
  if (n == 0)
    return;
  sl_msg *v = realloc(d->carry, (d->ncarry + n) * sizeof(*v));
  if (v == NULL)
    return; /* out of memory: dropped with the actor */
  d->carry = v;
  uint32_t k = d->ncarry;
  while (k < d->ncarry + n && sl_actor_take_mail(self, &v[k]))
    k++;
  d->ncarry = k;
}

void sl__drone_carry_over(sl_swarm *sw, sl_drone *d) {
  sl_msg *v = d->carry;
  uint32_t n = d->ncarry;
  d->carry = NULL;
  d->ncarry = 0;
  for (uint32_t i = 0; i < n; i++)
    sl_actor_try_send(sw->e, d->actor, &v[i]); /* disposed if it fails */
  free(v);
}

void sl__drone_carry_free(sl_drone *d) {
  for (uint32_t i = 0; i < d->ncarry; i++)
    sl_msg_release(&d->carry[i]); /* drone commands carry no asks */
  free(d->carry);
  d->carry = NULL;
  d->ncarry = 0;
}

void sl__drone_unregister(sl_swarm *sw, sl_drone *d) {
  sl__drone_carry_free(d);
  if (d->stopped)
    return;
  d->stopped = 1;
  sw->live--;
  sl_grid_remove(&sw->dgrid, d->id);
  /* Its mission goes back to the coordinator: the one the coordinator
   * gave it (the drone's own may have been dropped with its link). */
  d->mission = -1;
  if (d->assigned >= 0 && !sw->shut)
    sl__coord_tell(sw, SL_COORD_LEFT, d->assigned, d->id);
  sl_event ev;
  sl_event_init(&ev, SL_EV_DRONE_UNREGISTERED, sl__swarm_now(sw));
  ev.drone = d->id;
  sl__swarm_publish(sw, &ev);
}

static void drone_stop(sl_actor *self, int reason) {
  sl_drone *d = sl_actor_state(self);
  sl_swarm *sw = d->sw;
  d->actor = SL_ID_NONE;
  if (reason < 0 && !sw->shut) {
    carry_take(self, d); /* crashed: the swarm's drone supervisor */
    return;              /* restarts it, and hands it these */
  }
  sl__drone_unregister(sw, d); /* a normal stop */
}

static const sl_behaviour drone_behaviour = {"drone", NULL, drone_handle,
                                             drone_stop};

int sl__drone_start(sl_swarm *sw, sl_drone *d) {
  sl_spawn_opts o = {d->o.mailbox, sw->coord, NULL};
  return sl_actor_spawn(sw->e, &drone_behaviour, d, &o, &d->actor);
}

/* --- commands (the API side) --------------------------------------------- */

static int send_cmd(sl_swarm *sw, uint32_t id, uint32_t type, cmd *c,
                    int64_t a) {
  sl_drone *d = sl_swarm_drone(sw, id);
  if (d == NULL) {
    if (c) {
      free(c->wp);
      free(c);
    }
    return SL_ESTOPPED;
  }
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.type = type;
  m.a.i = a;
  if (c != NULL) {
    m.payload = c;
    m.free_fn = cmd_free;
  }
  return sl_actor_try_send(sw->e, d->actor, &m);
}

/* What a drone answers before a command is sent: SL_ENOLINK without a
 * link, SL_EEMERGENCY for movement in emergency, else 0. */
static int refuses(sl_swarm *sw, uint32_t id, int movement) {
  sl_drone *d = sl_swarm_drone(sw, id);
  if (d == NULL)
    return 0; /* send_cmd answers SL_ESTOPPED */
  if (d->comms_lost)
    return SL_ENOLINK;
  return movement && d->state == SL_DS_EMERGENCY ? SL_EEMERGENCY : 0;
}

int sl_drone_move_to(sl_swarm *sw, uint32_t id, sl_vec3 goal) {
  int rc = refuses(sw, id, 1);
  if (rc != 0)
    return rc;
  cmd *c = calloc(1, sizeof(*c));
  if (c == NULL || (c->wp = malloc(sizeof(*c->wp))) == NULL) {
    free(c);
    return SL_ENOMEM;
  }
  c->wp[0] = goal;
  c->n = 1;
  return send_cmd(sw, id, CMD_MOVE, c, 0);
}

int sl_drone_patrol(sl_swarm *sw, uint32_t id, const sl_vec3 *wp,
                    uint32_t n) {
  if (n == 0)
    return SL_EEMPTY;
  int rc = refuses(sw, id, 1);
  if (rc != 0)
    return rc;
  cmd *c = calloc(1, sizeof(*c));
  if (c == NULL || (c->wp = malloc(n * sizeof(*wp))) == NULL) {
    free(c);
    return SL_ENOMEM;
  }
  memcpy(c->wp, wp, n * sizeof(*wp));
  c->n = n;
  return send_cmd(sw, id, CMD_PATROL, c, 0);
}

int sl_drone_return(sl_swarm *sw, uint32_t id) {
  int rc = refuses(sw, id, 0);
  return rc != 0 ? rc : send_cmd(sw, id, CMD_RETURN, NULL, 0);
}

int sl_drone_emergency(sl_swarm *sw, uint32_t id, const char *reason) {
  sl_drone *d = sl_swarm_drone(sw, id);
  if (d == NULL)
    return SL_ESTOPPED;
  if (d->comms_lost)
    return SL_ENOLINK;
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.type = CMD_EMERGENCY;
  m.a.p = (void *)sl_swarm_intern(sw, reason ? reason : "emergency");
  return sl_actor_try_send(sw->e, d->actor, &m);
}

int sl_drone_fail(sl_swarm *sw, uint32_t id, int kind) {
  if (kind < SL_FAIL_COMMS || kind > SL_FAIL_CRASH)
    return SL_EINVAL;
  return send_cmd(sw, id, CMD_FAIL, NULL, kind);
}

int sl_drone_repair(sl_swarm *sw, uint32_t id) {
  return send_cmd(sw, id, CMD_REPAIR, NULL, 0);
}

int sl_drone_shutdown(sl_swarm *sw, uint32_t id) {
  sl_drone *d = sl_swarm_drone(sw, id);
  if (d == NULL)
    return SL_ESTOPPED;
  return sl_actor_stop(sw->e, d->actor, SL_EXIT_NORMAL);
}
