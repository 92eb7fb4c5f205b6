/*
 * swarm.h -- the swarm: drones, the coordinator, missions, targets.
 *
 *   swarm tick (every `tick`)        drone actors (one per drone)
 *     for each drone, in id order:     commands by message: move_to,
 *       battery, movement, scans        patrol, return, emergency, fail
 *     -> events on the bus              |
 *   telemetry (every telemetry_interval)  v
 *     each drone publishes its status   status watch  --> coordinator
 *     (a watch value) and a sample       (published)       registry, health,
 *     to the telemetry streams                             missions, targets,
 *                                                          alert level
 *
 * Each drone is an actor that owns its state and takes commands as
 * messages; the swarm's tick timer advances every drone in one pass (no
 * message per drone per tick), and each drone publishes its status as a
 * watch value that the coordinator reads -- the coordinator never gets a
 * message per tick.  Drones tell the coordinator what matters (a lap done,
 * a mission left, a target seen) by message; the coordinator decides and
 * publishes.  A drone's record outlives its actor, so a crashed drone is
 * restarted from its last published status.  Numbers and rules follow
 * API.md sections 1-6 (see drone.c and coord.c for the details).
 */
#ifndef SL_SWARM_H
#define SL_SWARM_H

#include "area.h"
#include "chan/watch.h"
#include "bus.h"
#include "grid.h"
#include "rt/actor.h"
#include "stream/stream.h"

enum {
  SL_DS_INITIALIZING,
  SL_DS_IDLE,
  SL_DS_MOVING,
  SL_DS_PATROLLING,
  SL_DS_RETURNING,
  SL_DS_CHARGING,
  SL_DS_EMERGENCY,
  SL_DS_COUNT
};
enum { SL_THREAT_LOW, SL_THREAT_MEDIUM, SL_THREAT_HIGH, SL_THREAT_CRITICAL };
enum { SL_MS_PENDING, SL_MS_ASSIGNED, SL_MS_COMPLETED, SL_MS_CANCELLED,
       SL_MS_FAILED };
extern const char *const sl_mission_status_names[];

typedef struct sl_drone_opts {
  double speed;       /* m/s */
  double scan_radius; /* m */
  int low_battery, critical_battery; /* % */
  double drain;       /* % per second airborne */
  double charge_rate; /* % per second charging */
  uint32_t mailbox;
} sl_drone_opts;

typedef struct sl_swarm_opts {
  int64_t tick_us, telemetry_us, health_us, offline_us;
  uint32_t event_capacity;
  int auto_support;
  sl_drone_opts drone;
} sl_swarm_opts;

/* The defaults of API.md section 1. */
void sl_swarm_default_opts(sl_swarm_opts *o);

/* What a drone publishes: its watch value, and the source of telemetry. */
typedef struct sl_drone_status {
  int64_t t; /* when published */
  sl_vec3 pos, vel;
  int64_t battery_np; /* exact, in nano-percent: 100e9 is full */
  uint8_t state;
  const char *reason; /* static, or interned in the swarm */
  int32_t mission;    /* mission index, or -1 */
} sl_drone_status;

/* Nano-percent (1e-9 %), the battery's exact unit: 100 % is 100e9. */
#define SL_NP_PER_PCT INT64_C(1000000000)

/* The integer battery API.md shows: whole percents, rounded up, so a drone
 * reads 100 until a full percent is used. */
static inline int sl_battery_pct(int64_t np) {
  return (int)((np + SL_NP_PER_PCT - 1) / SL_NP_PER_PCT);
}

typedef struct sl_swarm sl_swarm;
typedef void (*sl_tele_fn)(void *ud, sl_item *it);

typedef struct sl_drone {
  sl_swarm *sw;
  uint32_t id;
  sl_id actor; /* the current incarnation */
  sl_drone_opts o;
  sl_vec3 base;
  /* live state, owned by the drone's actor */
  sl_vec3 pos, vel, goal;
  uint8_t state;
  const char *reason;
  int64_t battery_np; /* exact: 0 .. 100e9 nano-percent */
  int32_t mission;
  sl_vec3 *wp; /* patrol waypoints (owned), the next one at wpi */
  uint32_t nwp, wpi;
  uint8_t stopped, comms_lost, low_sent, online, support;
  uint8_t reserved;  /* in a team */
  uint8_t gps_fault; /* an injected gps fault, until repaired */
  /* The coordinator's side: the mission it gave this drone and has not
   * taken back, or -1.  The drone's own `mission` can differ when its link
   * is down (it left the mission unheard, or never heard it). */
  int32_t assigned;
  int64_t last_report;
  /* Per tick, in nano-percent: a rate need not be a whole milli-percent
   * a tick, and nothing is lost to rounding from tick to tick (0.004 %/s
   * drains exactly 4 % in 1000 s). */
  int64_t drain_np, charge_np;
  double step_m;   /* metres flown a tick: speed * tick */
  sl_watch status; /* published status (sl_drone_status) */
  sl_msg *carry;   /* commands left in a crashed actor's mailbox (owned), */
  uint32_t ncarry; /* re-sent to its restarted actor in order */
} sl_drone;

typedef struct sl_mission {
  sl_timer deadline_timer; /* first: the timer callback gets the mission */
  sl_swarm *sw;
  char id[37];
  uint8_t status;
  int32_t drone; /* -1 when none */
  uint32_t laps, laps_done;
  sl_area area;
  sl_vec3 *wp;
  uint32_t nwp, wpi; /* progress within the lap, kept across handovers */
  int64_t created, deadline; /* µs; deadline -1: none */
  uint32_t seq;              /* creation order */
} sl_mission;

typedef struct sl_target {
  uint32_t id;
  sl_vec3 pos, vel;
  uint8_t threat;
  uint8_t detected, removed;
} sl_target;

typedef struct sl_swarm_stats {
  double t;
  uint64_t drones, online, offline, active_missions, pending_missions,
      missions_completed, targets_detected, messages_sent, messages_received,
      restarts;
} sl_swarm_stats;

struct sl_swarm {
  sl_engine *e;
  sl_swarm_opts o;
  sl_bus bus;
  sl_drone **drones; /* by drone id; stays after a drone stops */
  uint32_t ndrones, capdrones;
  uint32_t live;     /* registered and not stopped */
  sl_mission **missions; /* each allocated: they hold a timer */
  uint32_t nmissions, capmissions;
  sl_target *targets;
  uint32_t ntargets, captargets;
  sl_grid dgrid; /* drones, by published position */
  sl_grid tgrid; /* targets not yet detected */
  sl_timer tick, telemetry, health;
  sl_id coord;
  uint8_t alert;
  uint32_t threats[4]; /* detected, not removed targets, by threat */
  struct sl_tele_sub {
    sl_tele_fn fn;
    void *ud;
  } * tele; /* telemetry subscribers; fn NULL: removed during a pass */
  uint32_t ntele, captele;
  uint8_t tele_busy, tele_holes; /* in the telemetry pass; slots to drop */
  uint64_t missions_completed, targets_detected, restarts;
  uint64_t ticks;
  int64_t worst_late_us; /* real clock: how late the latest tick ran */
  int64_t pass_now;      /* the time of the tick or telemetry pass running */
  int in_pass;
  uint32_t npending;
  uint32_t *cand; /* the pending pass's candidates (capacity ndrones) */
  uint32_t capcand;
  char **strs; /* interned reasons */
  uint32_t nstrs;
  int shut; /* 1: shutting down (begin), 2: shut (finish) */
  /* formations being flown (formation.c), checked after each tick */
  struct sl_formation *forms;
  uint32_t nforms, capforms;
  int32_t next_formation;
};

int sl_swarm_init(sl_swarm *sw, sl_engine *e, const sl_swarm_opts *o);
/* Frees what the swarm holds (after sl_swarm_shutdown or engine close). */
void sl_swarm_free(sl_swarm *sw);

/* Graceful, in two halves (API.md section 1 and its amendments), so that
 * the embedder can let system_shutdown's handlers run in between.
 * begin: missions cancelled, the drones' clock stopped (no more ticks,
 * telemetry or health checks), system_shutdown published; every actor
 * still runs.  finish: every actor stopped in reverse spawn order (an
 * actor in the middle of a message gets until `timeout_us` from now),
 * each drone unregistered.  sl_swarm_shutdown does both at once.  Each is
 * done once; finish does nothing before begin. */
void sl_swarm_shutdown_begin(sl_swarm *sw);
void sl_swarm_shutdown_finish(sl_swarm *sw, int64_t timeout_us);
void sl_swarm_shutdown(sl_swarm *sw, int64_t timeout_us);

/* A drone at `base`, registered before this returns (drone_registered).
 * battery in 0..100; opts NULL: the swarm's drone defaults.  0 with *id,
 * SL_ECLOSED, SL_EINVAL or SL_ENOMEM. */
int sl_swarm_spawn_drone(sl_swarm *sw, sl_vec3 base, int battery,
                         const sl_drone_opts *opts, uint32_t *id);
/* Registers a drone record under its id (spawn does it): SL_EEXIST when
 * the id is taken. */
int sl_swarm_register(sl_swarm *sw, sl_drone *d);
/* The drone `id` if its actor runs, or NULL. */
sl_drone *sl_swarm_drone(sl_swarm *sw, uint32_t id);
void sl_swarm_stats_get(sl_swarm *sw, sl_swarm_stats *st);

/* Commands: each is a message to the drone's actor, applied when the swarm
 * runs.  0, SL_ESTOPPED (no such drone, or stopped), SL_EFULL (its mailbox
 * is full), SL_EEMPTY (an empty patrol), SL_EEMERGENCY (the drone is in
 * emergency: it refuses move_to and patrol), SL_ENOLINK (a comms fault:
 * it hears no command until repaired; fail, repair and shutdown, which
 * are the simulator's, still work). */
int sl_drone_move_to(sl_swarm *sw, uint32_t id, sl_vec3 goal);
int sl_drone_patrol(sl_swarm *sw, uint32_t id, const sl_vec3 *wp,
                    uint32_t n);
int sl_drone_return(sl_swarm *sw, uint32_t id);
int sl_drone_emergency(sl_swarm *sw, uint32_t id, const char *reason);
enum { SL_FAIL_COMMS, SL_FAIL_GPS, SL_FAIL_CRASH };
int sl_drone_fail(sl_swarm *sw, uint32_t id, int kind);
/* Clears an injected comms or gps fault (a message, like fail).  Comms:
 * the drone reports again at once (its status, and drone_state when its
 * state changed while unheard); a mission the coordinator thinks it has
 * and it does not fly goes back to the coordinator; the health check
 * finds it online at its next pass.  Gps: an emergency stop for the gps
 * fault turns into hovering where it is, idle ("repaired").  Nothing to
 * clear: nothing happens.  0, SL_ESTOPPED or SL_EFULL. */
int sl_drone_repair(sl_swarm *sw, uint32_t id);
/* Stops the drone's actor now: unregistered, its mission handed over. */
int sl_drone_shutdown(sl_swarm *sw, uint32_t id);

/* Missions.  create: 0 with the id (static storage in the swarm), or
 * SL_ENODRONE (no eligible drone and not queue), SL_EINVAL, SL_ENOMEM. */
int sl_swarm_create_mission(sl_swarm *sw, const sl_area *area, double spacing,
                            uint32_t laps, int queue, int64_t deadline_us,
                            const char **id);
int sl_swarm_cancel_mission(sl_swarm *sw, const char *id);
sl_mission *sl_swarm_mission(sl_swarm *sw, const char *id);

/* Targets: 0 with *id, or SL_EINVAL.  remove: 0 or SL_ENOTFOUND. */
int sl_swarm_add_target(sl_swarm *sw, sl_vec3 pos, int threat, sl_vec3 vel,
                        uint32_t *id);
int sl_swarm_remove_target(sl_swarm *sw, uint32_t id);
/* count targets at random over the area, threats at random (seeded). */
int sl_swarm_scatter_targets(sl_swarm *sw, uint32_t count,
                             const sl_area *area);

/* A telemetry sample, as sl_sample_schema describes it to streams (and
 * the filter language); battery in whole percent, state an sl_drone_state. */
typedef struct sl_sample {
  int64_t drone;
  double t, px, py, pz;
  int64_t battery;
  uint8_t state;
  double vx, vy, vz;
} sl_sample;

/* Telemetry: every sample (a RECORD item of sl_sample_schema) goes to
 * every subscriber, as fn(ud, item); the item is the subscriber's to
 * release.  sl_stream_push itself fits (fn = push_to_stream, ud = stream). */
extern const sl_schema sl_sample_schema;
int sl_swarm_telemetry_add(sl_swarm *sw, sl_tele_fn fn, void *ud);
void sl_swarm_telemetry_remove(sl_swarm *sw, void *ud);

/* Teams and formations (formation.c).  A reserved drone belongs to a team:
 * the coordinator never gives it a mission or a support task. */
int sl_swarm_reserve(sl_swarm *sw, uint32_t id, int reserved);
/* Whether a mission could take drone `id` now (the coordinator's rule). */
int sl_swarm_eligible(sl_swarm *sw, uint32_t id);
/* Up to `n` eligible drones nearest (horizontally) to `near`, nearest
 * first, ties to the lowest id; returns how many were written to ids. */
uint32_t sl_swarm_nearest_eligible(sl_swarm *sw, sl_vec3 near, uint32_t n,
                                   uint32_t *ids);
/* Starts tracking a formation: member ids[i] flies to slots[i].  Returns
 * its id (>= 0) or SL_ENOMEM.  formation_reached{formation} is published
 * once, at the end of the first tick after which every member is within
 * 1.0 m of its slot. */
int32_t sl_swarm_formation_new(sl_swarm *sw, uint32_t n, const uint32_t *ids,
                               const sl_vec3 *slots);
/* New slots for the same members (team:move): reached again later. */
/* Rounding: stepping a position along a diagonal drifts by ~1e-15 m a
 * step, enough to make a remaining 2.0 m read 1.9999999999999984 and
 * arrive a tick early.  Arrival (drone.c) and formation_reached
 * (formation.c) compare distances with this slack (a nanometre). */
#define SL_ARRIVAL_SLACK 1e-9

/* The number of members (and slots) of a formation, or SL_ENOTFOUND. */
int32_t sl_swarm_formation_size(const sl_swarm *sw, int32_t id);
int sl_swarm_formation_move(sl_swarm *sw, int32_t id, const sl_vec3 *slots);
/* Stops tracking (a transition, a release).  0 or SL_ENOTFOUND. */
int sl_swarm_formation_drop(sl_swarm *sw, int32_t id);
/* 1 reached, 0 not yet, SL_ENOTFOUND when not tracked. */
int sl_swarm_formation_reached(sl_swarm *sw, int32_t id);

/* A stable copy of s for the swarm's lifetime (reasons given by scripts). */
const char *sl_swarm_intern(sl_swarm *sw, const char *s);

/* Internals shared by swarm.c, drone.c and coord.c. */
/* Now, read once per pass: on the real clock reading the time is a system
 * call's worth of work, and a pass touches every drone. */
static inline int64_t sl__swarm_now(sl_swarm *sw) {
  return sw->in_pass ? sw->pass_now : sl_engine_now(sw->e);
}
void sl__swarm_publish(sl_swarm *sw, sl_event *ev);
void sl__drone_tick(sl_swarm *sw, sl_drone *d);
void sl__drone_publish(sl_swarm *sw, sl_drone *d);
int sl__drone_start(sl_swarm *sw, sl_drone *d);
/* The drone is stopped for good: out of the count and the grid, its
 * mission left (unless shutting down), drone_unregistered.  Idempotent. */
void sl__drone_unregister(sl_swarm *sw, sl_drone *d);
/* After a restart: the commands the crashed actor left go to the new one,
 * in order.  sl__drone_carry_free drops them (no restart after all). */
void sl__drone_carry_over(sl_swarm *sw, sl_drone *d);
void sl__drone_carry_free(sl_drone *d);
const sl_drone_status *sl__drone_status(const sl_drone *d);
void sl__drone_set_state(sl_swarm *sw, sl_drone *d, int state,
                         const char *reason);
/* Commands the coordinator gives a drone directly (same thread, its own
 * decisions): patrol a mission's waypoints from wpi, go to a support point,
 * return after a mission. */
void sl__drone_assign(sl_swarm *sw, sl_drone *d, int32_t mission);
void sl__drone_support(sl_swarm *sw, sl_drone *d, sl_vec3 goal);
void sl__drone_release(sl_swarm *sw, sl_drone *d, const char *reason);
int sl__coord_start(sl_swarm *sw);
void sl__coord_health(sl_swarm *sw);
/* What drones tell the coordinator (a message to its actor), and a
 * mission's deadline, judged after what was reported before it. */
enum { SL_COORD_LAP = SL_MSG_SYSTEM + 100, SL_COORD_LEFT, SL_COORD_DETECT,
       SL_COORD_DEADLINE };
void sl__coord_tell(sl_swarm *sw, uint32_t kind, int64_t a, int64_t b);
void sl__coord_assign_pending(sl_swarm *sw);
void sl__coord_move_targets(sl_swarm *sw);
void sl__coord_cancel_all(sl_swarm *sw);
void sl__formations_check(sl_swarm *sw);
void sl__formations_free(sl_swarm *sw);

#endif
