/*
 * event.h -- the swarm's events: types, fields, copies, filters.
 *
 * Every event is one fixed-size struct: a type, a time, and the fields its
 * type uses (API.md section 6 lists them); strings it owns are freed with
 * it.  The bus that carries events to subscribers is bus.h.
 */
#ifndef SL_EVENT_H
#define SL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define SL_EVENT_TYPES(X)                                                      \
  X(DRONE_REGISTERED, "drone_registered")                                      \
  X(DRONE_UNREGISTERED, "drone_unregistered")                                  \
  X(DRONE_OFFLINE, "drone_offline")                                            \
  X(DRONE_ONLINE, "drone_online")                                              \
  X(DRONE_RESTARTED, "drone_restarted")                                        \
  X(DRONE_STATE, "drone_state")                                                \
  X(BATTERY_LOW, "battery_low")                                                \
  X(MISSION_CREATED, "mission_created")                                        \
  X(MISSION_ASSIGNED, "mission_assigned")                                      \
  X(MISSION_COMPLETED, "mission_completed")                                    \
  X(MISSION_FAILED, "mission_failed")                                          \
  X(MISSION_CANCELLED, "mission_cancelled")                                    \
  X(TARGET_DETECTED, "target_detected")                                        \
  X(TARGET_LOST, "target_lost")                                                \
  X(SUPPORT_ASSIGNED, "support_assigned")                                      \
  X(ALERT_LEVEL, "alert_level")                                                \
  X(FORMATION_REACHED, "formation_reached")                                    \
  X(ACTOR_RESTARTED, "actor_restarted")                                        \
  X(SUPERVISOR_STOPPED, "supervisor_stopped")                                  \
  X(SYSTEM_SHUTDOWN, "system_shutdown")

enum {
#define SL_EV_ENUM(name, str) SL_EV_##name,
  SL_EVENT_TYPES(SL_EV_ENUM)
#undef SL_EV_ENUM
      SL_EV_COUNT
};

extern const char *const sl_event_names[SL_EV_COUNT];
/* Names of the small enums events carry (API.md sections 2 and 5). */
extern const char *const sl_state_names[];  /* 7: initializing .. emergency */
extern const char *const sl_threat_names[]; /* 4: low .. critical */
extern const char *const sl_level_names[];  /* 4: normal .. critical */
/* The type named `name`, or -1. */
int sl_event_type(const char *name);

/* Which fields an event type carries (for turning it into a table). */
enum {
  SL_EF_DRONE = 1 << 0,
  SL_EF_REASON = 1 << 1,
  SL_EF_STATE = 1 << 2,
  SL_EF_BATTERY = 1 << 3,
  SL_EF_MISSION = 1 << 4,
  SL_EF_TARGET = 1 << 5,
  SL_EF_LEVEL = 1 << 6,
  SL_EF_FORMATION = 1 << 7,
  SL_EF_NAME = 1 << 8,
};
extern const unsigned sl_event_fields[SL_EV_COUNT];

typedef struct sl_event {
  uint16_t type;
  uint8_t state, level, threat;
  int32_t battery;
  int64_t t;      /* µs */
  int64_t drone;  /* -1: none */
  int64_t target; /* target id */
  int64_t formation;
  double x, y, z; /* the target's position */
  char *mission;  /* owned strings, or NULL */
  char *name;
  char *reason;
} sl_event;

/* An empty event of `type` at time t (no drone, no strings). */
void sl_event_init(sl_event *ev, int type, int64_t t);
/* Sets an owned string field to a copy of s. */
void sl_event_set(char **field, const char *s);
/* Frees the strings an event owns. */
void sl_event_free(sl_event *ev);
/* Makes *dst a copy of *src with strings of its own (one that cannot be
 * copied for want of memory is left NULL: the field reads as absent).
 * 0 or SL_ENOMEM. */
int sl_event_copy(sl_event *dst, const sl_event *src);

/* Filter predicates on events (stream/pred.h compiles them).  has_field:
 * whether events of `type` (-1: any) carry the dotted `path`;
 * field_names(i): the known paths, i from 0 until NULL. */
struct sl_pred;
int sl_pred_event(struct sl_pred *p, const sl_event *ev);
/* A pattern: events of `type` (-1: any type) that also pass `pred` (NULL:
 * all).  1 when ev matches it, else 0.  The bus's subscriptions and the
 * swarm:on handlers both match with this (inline: it runs per event
 * published, for each subscription). */
static inline int sl_event_matches(int type, struct sl_pred *pred,
                                   const sl_event *ev) {
  return (type < 0 || type == ev->type) &&
         (pred == NULL || sl_pred_event(pred, ev));
}
int sl_event_has_field(int type, const char *path);
/* The i-th field an event condition may name (NULL past the last); *is_str
 * says whether it holds a name or a number. */
const char *sl_event_field(int i, int *is_str);

#endif
