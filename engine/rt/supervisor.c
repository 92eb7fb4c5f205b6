/*
 * supervisor.c -- restart strategies, intensity, escalation (see
 * supervisor.h).
 *
 * Each child is RUNNING, STOPPING (we asked it to stop and wait for its down
 * notice) or DOWN.  A restart marks the children to restart, asks the
 * running ones among them to stop, and once no stop is pending starts the
 * marked ones in order.  A crash that arrives while a restart is pending
 * just adds to it.  Giving up is the same walk with nothing to restart.
 */
#include "supervisor.h"

#include <stdlib.h>
#include <string.h>

#define MSG_RETRY (SL_MSG_SYSTEM + 10)

enum { C_DOWN, C_RUNNING, C_STOPPING };

typedef struct sup_child {
  char *name;
  sl_child_start_fn start;
  void *ud;
  int restart;
  int64_t shutdown_us;
  sl_id id;
  uint64_t mon;
  int state;
  int marked;      /* to (re)start when no stop is pending */
  int reason;      /* why it is being restarted, for the hook */
  char *reason_msg;
} sup_child;

typedef struct sup {
  sl_engine *e;
  sl_id self;
  char *name;
  int strategy, intensity;
  int64_t period_us;
  sup_child *c;
  uint32_t n;
  int64_t *stamps; /* times of the last `intensity` restarts (a ring) */
  uint32_t nstamps, stamp_head;
  uint32_t pending; /* stops we wait for */
  int giving_up;
  sl_sup_hooks hooks;
} sup;

static const sl_behaviour sup_behaviour;

static void set_reason(sup_child *c, int reason, const char *msg) {
  free(c->reason_msg);
  c->reason_msg = msg ? strdup(msg) : NULL;
  c->reason = reason;
}

static int start_child(sup *s, uint32_t i) {
  sup_child *c = &s->c[i];
  sl_id id;
  int rc = c->start(s->e, c->ud, s->self, &id);
  if (rc != 0)
    return rc < 0 ? rc : SL_ECRASHED;
  if (!sl_actor_alive(s->e, id))
    return SL_ECRASHED; /* died while starting */
  rc = sl_actor_monitor(s->e, id, s->self, &c->mon);
  if (rc != 0) {
    sl_actor_stop(s->e, id, SL_EXIT_SHUTDOWN);
    return rc;
  }
  c->id = id;
  c->state = C_RUNNING;
  return 0;
}

/* Asks a running child to stop; its down notice will arrive. */
static void stop_child(sup *s, sup_child *c) {
  if (c->state != C_RUNNING)
    return;
  c->state = C_STOPPING;
  s->pending++;
  sl_actor_shutdown(s->e, c->id, c->shutdown_us);
}

/* Counts a restart; 0 when it exceeds the intensity. */
static int intensity_ok(sup *s) {
  int64_t now = sl_engine_now(s->e);
  uint32_t recent = 0;
  for (uint32_t k = 0; k < s->nstamps; k++)
    if (now - s->stamps[k] <= s->period_us) /* inclusive, as OTP */
      recent++;
  if ((int)recent >= s->intensity)
    return 0;
  if (s->intensity > 0) {
    s->stamps[s->stamp_head] = now;
    s->stamp_head = (s->stamp_head + 1) % (uint32_t)s->intensity;
    if (s->nstamps < (uint32_t)s->intensity)
      s->nstamps++;
  }
  return 1;
}

static void give_up(sup *s) {
  s->giving_up = 1;
  for (uint32_t k = 0; k < s->n; k++)
    s->c[k].marked = 0;
  for (uint32_t k = s->n; k-- > 0;)
    stop_child(s, &s->c[k]);
}

static void finish_give_up(sup *s) {
  if (s->hooks.stopped)
    s->hooks.stopped(s->hooks.ud, s->name);
  sl_actor *self = sl_actor_get(s->e, s->self);
  if (self != NULL)
    sl_actor_set_exit_message(self, "reached max restart intensity");
  sl_actor_stop(s->e, s->self, SL_ECRASHED);
}

/* No stop pending: start the marked children in order. */
static void restart_marked(sup *s) {
  for (uint32_t k = 0; k < s->n; k++) {
    sup_child *c = &s->c[k];
    if (!c->marked)
      continue;
    c->marked = 0;
    int rc = start_child(s, k);
    if (rc != 0) {
      /* A failed start is a failed restart: try again, within the
       * intensity, from a message to ourselves (no recursion). */
      if (!intensity_ok(s)) {
        give_up(s);
        if (s->pending == 0)
          finish_give_up(s);
        return;
      }
      c->marked = 1;
      set_reason(c, rc, "start failed");
      sl_msg m;
      memset(&m, 0, sizeof(m));
      m.type = MSG_RETRY;
      sl_actor_send(s->e, s->self, &m, NULL, NULL);
      return;
    }
    if (s->hooks.restarted)
      s->hooks.restarted(s->hooks.ud, c->name, c->reason, c->reason_msg);
  }
}

static int wants_restart(const sup_child *c, int reason) {
  switch (c->restart) {
  case SL_PERMANENT:
    return 1;
  case SL_TRANSIENT:
    return reason != SL_EXIT_NORMAL && reason != SL_EXIT_SHUTDOWN;
  default:
    return 0;
  }
}

static void on_down(sup *s, uint32_t i, int reason, const char *msg) {
  sup_child *c = &s->c[i];
  int was = c->state;
  c->state = C_DOWN;
  c->id = SL_ID_NONE;
  c->mon = 0;
  if (was == C_STOPPING) {
    if (--s->pending == 0) {
      if (s->giving_up)
        finish_give_up(s);
      else
        restart_marked(s);
    }
    return;
  }
  if (s->giving_up || s->e->closing || !wants_restart(c, reason))
    return;
  if (!intensity_ok(s)) {
    give_up(s);
    if (s->pending == 0)
      finish_give_up(s);
    return;
  }
  set_reason(c, reason, msg);
  c->marked = 1;
  if (s->strategy != SL_ONE_FOR_ONE) {
    uint32_t from = s->strategy == SL_ONE_FOR_ALL ? 0 : i + 1;
    for (uint32_t k = s->n; k-- > from;) {
      sup_child *o = &s->c[k];
      if (k == i || o->restart == SL_TEMPORARY)
        continue;
      /* Siblings in range restart too, running or not, as in OTP. */
      o->marked = 1;
      set_reason(o, SL_EXIT_SHUTDOWN,
                 s->strategy == SL_ONE_FOR_ALL ? "one_for_all"
                                               : "rest_for_one");
    }
    /* Stop the ones to restart, and running temporaries in range. */
    for (uint32_t k = s->n; k-- > from;)
      if (k != i && (s->c[k].marked || s->c[k].restart == SL_TEMPORARY))
        stop_child(s, &s->c[k]);
  }
  if (s->pending == 0)
    restart_marked(s);
}

static int sup_handle(sl_actor *self, sl_msg *m) {
  sup *s = sl_actor_state(self);
  if (m->type == MSG_RETRY) {
    if (s->pending == 0 && !s->giving_up)
      restart_marked(s);
    return 0;
  }
  if (m->type != SL_MSG_DOWN)
    return 0; /* supervisors take no other mail */
  for (uint32_t i = 0; i < s->n; i++)
    if (s->c[i].mon == (uint64_t)m->b.i && s->c[i].state != C_DOWN) {
      on_down(s, i, (int)m->a.i, m->payload);
      break;
    }
  return 0;
}

static void sup_free(sup *s) {
  for (uint32_t i = 0; i < s->n; i++) {
    if (s->hooks.child_free)
      s->hooks.child_free(s->hooks.ud, s->c[i].ud);
    free(s->c[i].name);
    free(s->c[i].reason_msg);
  }
  if (s->hooks.free)
    s->hooks.free(s->hooks.ud);
  free(s->c);
  free(s->stamps);
  free(s->name);
  free(s);
}

static int sup_start(sl_actor *self, void *arg) {
  sup *s = sl_actor_state(self);
  s->self = sl_actor_id(self);
  for (uint32_t i = 0; i < s->n; i++) {
    int rc = start_child(s, i);
    if (rc != 0) {
      for (uint32_t k = i; k-- > 0;) {
        sl_actor_demonitor(s->e, s->c[k].mon);
        sl_actor_stop(s->e, s->c[k].id, SL_EXIT_SHUTDOWN);
        s->c[k].state = C_DOWN;
      }
      return rc;
    }
  }
  return 0;
}

static void sup_stop(sl_actor *self, int reason) {
  sup *s = sl_actor_state(self);
  /* Whatever still runs stops now, last started first. */
  for (uint32_t k = s->n; k-- > 0;) {
    sup_child *c = &s->c[k];
    if (c->state != C_DOWN) {
      sl_actor_demonitor(s->e, c->mon);
      sl_actor_stop(s->e, c->id, SL_EXIT_SHUTDOWN);
      c->state = C_DOWN;
    }
  }
  sup_free(s);
}

static const sl_behaviour sup_behaviour = {"supervisor", sup_start, sup_handle,
                                           sup_stop};

int sl_supervisor_start(sl_engine *e, const sl_sup_spec *spec, sl_id parent,
                        sl_id *out) {
  *out = SL_ID_NONE;
  if (spec->strategy < SL_ONE_FOR_ONE || spec->strategy > SL_REST_FOR_ONE ||
      spec->intensity < 0 || spec->period_us < 0)
    return SL_EINVAL;
  sup *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return SL_ENOMEM;
  s->e = e;
  s->name = strdup(spec->name ? spec->name : "supervisor");
  s->strategy = spec->strategy;
  s->intensity = spec->intensity;
  s->period_us = spec->period_us ? spec->period_us : 5000000;
  s->hooks = spec->hooks;
  s->n = spec->nchildren;
  s->c = calloc(s->n ? s->n : 1, sizeof(*s->c));
  s->stamps = calloc(s->intensity ? (size_t)s->intensity : 1,
                     sizeof(*s->stamps));
  if (s->name == NULL || s->c == NULL || s->stamps == NULL) {
    s->n = 0;
    sup_free(s);
    return SL_ENOMEM;
  }
  for (uint32_t i = 0; i < s->n; i++) {
    const sl_child_spec *cs = &spec->children[i];
    s->c[i].name = strdup(cs->name ? cs->name : "");
    s->c[i].start = cs->start;
    s->c[i].ud = cs->ud;
    s->c[i].restart = cs->restart;
    s->c[i].shutdown_us = cs->shutdown_us > 0 ? cs->shutdown_us : 5000000;
  }
  sl_spawn_opts o = {0, parent, NULL};
  int rc = sl_actor_spawn(e, &sup_behaviour, s, &o, out);
  if (rc != 0) /* on_stop did not run: the state is still ours */
    sup_free(s);
  return rc;
}

sl_id sl_supervisor_child(sl_engine *e, sl_id id, const char *name) {
  sl_actor *a = sl_actor_get(e, id);
  if (a == NULL || a->beh != &sup_behaviour)
    return SL_ID_NONE;
  sup *s = sl_actor_state(a);
  for (uint32_t i = 0; i < s->n; i++)
    if (strcmp(s->c[i].name, name) == 0)
      return s->c[i].state == C_RUNNING ? s->c[i].id : SL_ID_NONE;
  return SL_ID_NONE;
}
