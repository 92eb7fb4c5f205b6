/*
 * event.c -- event names, field sets, copies and predicates (see event.h).
 */
#include "event.h"

#include <stdlib.h>
#include <string.h>

#include "rt/error.h"

const char *const sl_event_names[SL_EV_COUNT] = {
#define SL_EV_NAME(name, str) str,
    SL_EVENT_TYPES(SL_EV_NAME)
#undef SL_EV_NAME
};

const char *const sl_state_names[] = {"initializing", "idle",      "moving",
                                     "patrolling",   "returning", "charging",
                                     "emergency"};
const char *const sl_threat_names[] = {"low", "medium", "high", "critical"};
const char *const sl_level_names[] = {"normal", "elevated", "high",
                                      "critical"};

#define D SL_EF_DRONE
#define R SL_EF_REASON
#define M SL_EF_MISSION
#define T SL_EF_TARGET
const unsigned sl_event_fields[SL_EV_COUNT] = {
    [SL_EV_DRONE_REGISTERED] = D,
    [SL_EV_DRONE_UNREGISTERED] = D,
    [SL_EV_DRONE_OFFLINE] = D,
    [SL_EV_DRONE_ONLINE] = D,
    [SL_EV_DRONE_RESTARTED] = D | R,
    [SL_EV_DRONE_STATE] = D | SL_EF_STATE | R,
    [SL_EV_BATTERY_LOW] = D | SL_EF_BATTERY,
    [SL_EV_MISSION_CREATED] = M,
    [SL_EV_MISSION_ASSIGNED] = M | D,
    [SL_EV_MISSION_COMPLETED] = M | D,
    [SL_EV_MISSION_FAILED] = M | R,
    [SL_EV_MISSION_CANCELLED] = M,
    [SL_EV_TARGET_DETECTED] = D | T,
    [SL_EV_TARGET_LOST] = T,
    [SL_EV_SUPPORT_ASSIGNED] = D | T,
    [SL_EV_ALERT_LEVEL] = SL_EF_LEVEL,
    [SL_EV_FORMATION_REACHED] = SL_EF_FORMATION,
    [SL_EV_ACTOR_RESTARTED] = SL_EF_NAME | R,
    [SL_EV_SUPERVISOR_STOPPED] = SL_EF_NAME,
    [SL_EV_SYSTEM_SHUTDOWN] = 0,
};
#undef D
#undef R
#undef M
#undef T

int sl_event_type(const char *name) {
  for (int i = 0; i < SL_EV_COUNT; i++)
    if (strcmp(sl_event_names[i], name) == 0)
      return i;
  return -1;
}

void sl_event_init(sl_event *ev, int type, int64_t t) {
  memset(ev, 0, sizeof(*ev));
  ev->type = (uint16_t)type;
  ev->t = t;
  ev->drone = -1;
  ev->target = -1;
  ev->formation = -1;
}

void sl_event_set(char **field, const char *s) {
  free(*field);
  *field = s ? strdup(s) : NULL;
}

void sl_event_free(sl_event *ev) {
  free(ev->mission);
  free(ev->name);
  free(ev->reason);
  ev->mission = ev->name = ev->reason = NULL;
}

int sl_event_copy(sl_event *dst, const sl_event *src) {
  *dst = *src;
  dst->mission = src->mission ? strdup(src->mission) : NULL;
  dst->name = src->name ? strdup(src->name) : NULL;
  dst->reason = src->reason ? strdup(src->reason) : NULL;
  if ((src->mission && !dst->mission) || (src->name && !dst->name) ||
      (src->reason && !dst->reason))
    return SL_ENOMEM;
  return 0;
}

/* --- predicates on events ------------------------------------------------ */

#include "stream/pred.h"

enum { F_TYPE, F_T, F_DRONE, F_STATE, F_REASON, F_BATTERY, F_MISSION,
       F_TARGET_ID, F_TARGET_THREAT, F_TARGET_X, F_TARGET_Y, F_TARGET_Z,
       F_LEVEL, F_FORMATION, F_NAME, F_COUNT };

static const struct {
  const char *path;
  unsigned needs; /* the SL_EF_* flag the type must carry (0: all types) */
  int is_str;
} fields[F_COUNT] = {
    {"type", 0, 1},
    {"t", 0, 0},
    {"drone", SL_EF_DRONE, 0},
    {"state", SL_EF_STATE, 1},
    {"reason", SL_EF_REASON, 1},
    {"battery", SL_EF_BATTERY, 0},
    {"mission", SL_EF_MISSION, 1},
    {"target.id", SL_EF_TARGET, 0},
    {"target.threat", SL_EF_TARGET, 1},
    {"target.position.x", SL_EF_TARGET, 0},
    {"target.position.y", SL_EF_TARGET, 0},
    {"target.position.z", SL_EF_TARGET, 0},
    {"level", SL_EF_LEVEL, 1},
    {"formation", SL_EF_FORMATION, 0},
    {"name", SL_EF_NAME, 1},
};

static int field_id(const char *path) {
  for (int i = 0; i < F_COUNT; i++)
    if (strcmp(fields[i].path, path) == 0)
      return i;
  return -1;
}

int sl_event_has_field(int type, const char *path) {
  int f = field_id(path);
  if (f < 0)
    return 0;
  if (type < 0) /* any type: a field some type carries */
    return 1;
  return fields[f].needs == 0 || (sl_event_fields[type] & fields[f].needs);
}

const char *sl_event_field(int i, int *is_str) {
  if (i < 0 || i >= F_COUNT)
    return NULL;
  *is_str = fields[i].is_str;
  return fields[i].path;
}

int sl__cond_str(const sl_cond *c, const char *s);
int sl__cond_num(const sl_cond *c, double x);

static int cond_event(sl_cond *c, const sl_event *ev) {
  if (c->event_field < 0)
    c->event_field = field_id(c->path);
  int f = c->event_field;
  if (f < 0 ||
      (fields[f].needs && !(sl_event_fields[ev->type] & fields[f].needs)))
    return 0;
  if (fields[f].is_str) {
    const char *s = NULL;
    switch (f) {
    case F_TYPE:
      s = sl_event_names[ev->type];
      break;
    case F_STATE:
      s = sl_state_names[ev->state];
      break;
    case F_REASON:
      s = ev->reason;
      break;
    case F_MISSION:
      s = ev->mission;
      break;
    case F_TARGET_THREAT:
      s = sl_threat_names[ev->threat];
      break;
    case F_LEVEL:
      s = sl_level_names[ev->level];
      break;
    default:
      s = ev->name;
    }
    return c->kind == SL_VAL_STR && s != NULL && sl__cond_str(c, s);
  }
  double x;
  switch (f) {
  case F_T:
    x = (double)ev->t / 1e6;
    break;
  case F_DRONE:
    if (ev->drone < 0)
      return 0;
    x = (double)ev->drone;
    break;
  case F_BATTERY:
    x = ev->battery;
    break;
  case F_TARGET_ID:
    x = (double)ev->target;
    break;
  case F_TARGET_X:
    x = ev->x;
    break;
  case F_TARGET_Y:
    x = ev->y;
    break;
  case F_TARGET_Z:
    x = ev->z;
    break;
  default:
    x = (double)ev->formation;
  }
  return c->kind == SL_VAL_NUM && sl__cond_num(c, x);
}

int sl_pred_event(sl_pred *p, const sl_event *ev) {
  for (uint32_t i = 0; i < p->n; i++)
    if (!cond_event(&p->c[i], ev))
      return 0;
  return 1;
}
