/*
 * event.c -- event names, field sets and the bus (see event.h).
 */
#include "event.h"

#include <stdlib.h>
#include <string.h>

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

static void drop_event(void *ctx, void *elem) {
  (void)ctx;
  sl_event_free(elem);
}

static const sl_elem_ops event_ops = {sizeof(sl_event), drop_event, NULL};

int sl_bus_init(sl_bus *b, sl_engine *e, uint32_t capacity) {
  b->published = 0;
  return sl_bcast_init(&b->ch, e, &event_ops, capacity);
}

void sl_bus_free(sl_bus *b) { sl_bcast_free(&b->ch); }

int sl_bus_publish(sl_bus *b, sl_event *ev) {
  int rc = sl_bcast_publish(&b->ch, ev);
  if (rc == 0)
    b->published++;
  return rc;
}
