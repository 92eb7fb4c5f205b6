/*
 * monitor.c -- monitors: who hears when an actor stops, and why.
 *
 * A monitor lives in the engine's monitor slab and on its target's list.
 * When the target is finalised every monitor on the list sends its notice
 * and is freed: an actor watcher gets an SL_MSG_DOWN message (sent with the
 * waiting send, so a full mailbox delays it but never loses it); a callback
 * watcher is called from the run queue.  Graceful stops (sl_actor_shutdown)
 * live here too: they are what supervisors stop their children with.
 */
#include <stdlib.h>
#include <string.h>

#include "actor.h"

struct sl_monitor {
  sl_slot slot;
  sl_id target;
  sl_id watcher; /* SL_ID_NONE for a callback monitor */
  sl_down_fn fn;
  void *ud;
  sl_monitor *next, *prev; /* on the target's list */
};

size_t sl__monitor_size(void) { return sizeof(sl_monitor); }

typedef struct down_note {
  sl_down_fn fn;
  void *ud;
  sl_id target;
  int reason;
  char msg[];
} down_note;

static void down_run(sl_engine *e, void *ud, uintptr_t arg) {
  down_note *n = ud;
  n->fn(e, n->ud, n->target, n->reason, arg ? n->msg : NULL);
  free(n);
}

static void down_free(sl_msg *m) { free(m->payload); }

/* Sends one monitor's notice. */
static void notify(sl_engine *e, sl_monitor *m, int reason, const char *msg) {
  if (m->watcher != SL_ID_NONE) {
    sl_msg d;
    memset(&d, 0, sizeof(d));
    d.type = SL_MSG_DOWN;
    d.from = m->target;
    d.a.i = reason;
    d.b.i = (int64_t)sl_slab_id(m);
    if (msg != NULL && (d.payload = strdup(msg)) != NULL)
      d.free_fn = down_free;
    sl_actor_send(e, m->watcher, &d, NULL, NULL);
    return;
  }
  size_t len = msg ? strlen(msg) + 1 : 1;
  down_note *n = malloc(sizeof(*n) + len);
  if (n == NULL)
    return;
  n->fn = m->fn;
  n->ud = m->ud;
  n->target = m->target;
  n->reason = reason;
  memcpy(n->msg, msg ? msg : "", len);
  if (sl_engine_defer(e, down_run, n, msg != NULL) != 0)
    free(n);
}

/* Called by finalize: every monitor of `a` sends its notice. */
void sl__monitors_fire(sl_engine *e, sl_actor *a, int reason) {
  while (a->monitors != NULL) {
    sl_monitor *m = a->monitors;
    a->monitors = m->next;
    notify(e, m, reason, a->exit_msg);
    sl_slab_free(&e->monitors, m);
  }
  free(a->exit_msg);
  a->exit_msg = NULL;
  if (a->kill_timer != NULL) { /* stopped before its graceful deadline */
    sl_timer_stop(a->kill_timer);
    free(a->kill_timer);
    a->kill_timer = NULL;
  }
}

static int add(sl_engine *e, sl_id target, sl_id watcher, sl_down_fn fn,
               void *ud, uint64_t *mon) {
  sl_id id;
  sl_monitor *m = sl_slab_alloc(&e->monitors, &id);
  if (m == NULL)
    return SL_ENOMEM;
  m->target = target;
  m->watcher = watcher;
  m->fn = fn;
  m->ud = ud;
  *mon = id;
  sl_actor *a = sl_actor_get(e, target);
  if (a == NULL) { /* already gone: the notice goes out at once */
    notify(e, m, SL_ESTOPPED, NULL);
    sl_slab_free(&e->monitors, m);
    return 0;
  }
  m->next = a->monitors;
  if (a->monitors)
    a->monitors->prev = m;
  a->monitors = m;
  return 0;
}

int sl_actor_monitor(sl_engine *e, sl_id target, sl_id watcher,
                     uint64_t *mon) {
  return add(e, target, watcher, NULL, NULL, mon);
}

int sl_actor_monitor_cb(sl_engine *e, sl_id target, sl_down_fn fn, void *ud,
                        uint64_t *mon) {
  return add(e, target, SL_ID_NONE, fn, ud, mon);
}

int sl_actor_demonitor(sl_engine *e, uint64_t mon) {
  sl_monitor *m = sl_slab_get(&e->monitors, mon);
  if (m == NULL)
    return SL_ENOTFOUND;
  sl_actor *a = sl_slab_get(&e->actors, m->target);
  if (a != NULL) {
    if (m->prev)
      m->prev->next = m->next;
    else
      a->monitors = m->next;
    if (m->next)
      m->next->prev = m->prev;
  }
  sl_slab_free(&e->monitors, m);
  return 0;
}

void sl_actor_set_exit_message(sl_actor *a, const char *msg) {
  free(a->exit_msg);
  a->exit_msg = msg ? strdup(msg) : NULL;
}

/* --- graceful stop ------------------------------------------------------- */

typedef struct kill_timer {
  sl_timer t;
  sl_id id;
} kill_timer;

static void kill_fire(sl_timer *t) {
  kill_timer *k = (kill_timer *)t;
  sl_actor *a = sl_actor_get(t->engine, k->id);
  if (a != NULL) { /* it owns the timer until now */
    a->kill_timer = NULL;
    sl_actor_stop(t->engine, k->id, SL_EXIT_KILLED);
  }
  free(k);
}

int sl_actor_shutdown(sl_engine *e, sl_id id, int64_t timeout_us) {
  sl_actor *a = sl_actor_get(e, id);
  if (a == NULL)
    return SL_ESTOPPED;
  if (!(a->flags & SL_AF_SUSPENDED) || timeout_us <= 0) {
    int reason = (a->flags & SL_AF_SUSPENDED) ? SL_EXIT_KILLED
                                              : SL_EXIT_SHUTDOWN;
    int in_turn = (a->flags & SL_AF_IN_TURN) != 0; /* read before a is freed */
    sl_actor_stop(e, id, reason);
    return in_turn ? SL_WAIT : 0;
  }
  /* Mid-message: let it finish (it stops when it resumes), or kill it. */
  a->flags |= SL_AF_STOP_REQ;
  a->exit_reason = SL_EXIT_SHUTDOWN;
  kill_timer *k = malloc(sizeof(*k));
  if (k == NULL) {
    sl_actor_stop(e, id, SL_EXIT_KILLED);
    return 0;
  }
  sl_timer_init(e, &k->t);
  k->id = id;
  if (sl_timer_start(&k->t, kill_fire, timeout_us, 0) != 0) {
    free(k);
    sl_actor_stop(e, id, SL_EXIT_KILLED);
    return 0;
  }
  if (a->kill_timer != NULL) { /* asked twice: the earlier deadline stands */
    sl_timer_stop(&k->t);
    free(k);
  } else {
    a->kill_timer = k;
  }
  return SL_WAIT;
}
