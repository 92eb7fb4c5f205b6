/*
 * actor.c -- spawn, send, turns, suspension, stop and graceful shutdown.
 *
 * The hot path is try_send -> mailbox push -> (queue the actor if it was
 * idle) -> turn -> pop -> handle: no allocation and no indirection beyond the
 * slab lookup.  Senders that wait for room are the slow path and allocate a
 * small record each; invariant: an actor has waiters only while its mailbox
 * is full, and every message popped admits the first waiter at once, so
 * waiting senders keep their order.
 */
#include "actor.h"

#include <stdio.h>
#include <stdlib.h>

#include "ask.h"
#include "log.h"

struct sl_waiter {
  sl_waiter *next;
  sl_msg msg;
  sl_send_cb cb;
  void *ud;
  int status;
};

static void actor_turn(sl_engine *e, void *ud, uintptr_t arg);
void sl__monitors_fire(sl_engine *e, sl_actor *a, int reason);

void sl_msg_free_payload(sl_msg *m) { free(m->payload); }

void sl__msg_dispose(sl_engine *e, sl_msg *m, int err) {
  if (m->reply != 0) {
    sl__ask_fail(e, m->reply, err);
    m->reply = 0;
  }
  sl_msg_release(m);
}

static inline void enqueue(sl_engine *e, sl_actor *a) {
  if (a->flags & (SL_AF_QUEUED | SL_AF_IN_TURN | SL_AF_SUSPENDED))
    return;
  if (sl__engine_push(e, actor_turn, NULL, (uintptr_t)sl_actor_id(a)) == 0)
    a->flags |= SL_AF_QUEUED;
}

static inline int deliver(sl_engine *e, sl_actor *a, const sl_msg *m) {
  int rc = sl_mailbox_push(&a->mbox, &e->mpool, m);
  if (rc == 0) {
    e->msgs_sent++;
    enqueue(e, a);
  }
  return rc;
}

static void waiter_done(sl_engine *e, void *ud, uintptr_t arg) {
  (void)arg;
  sl_waiter *w = ud;
  w->cb(e, w->ud, w->status);
  free(w);
}

static void waiter_finish(sl_engine *e, sl_waiter *w, int status) {
  if (w->cb == NULL) {
    free(w);
    return;
  }
  w->status = status;
  if (sl_engine_defer(e, waiter_done, w, 0) != 0)
    free(w); /* out of memory: the continuation is lost, not called twice */
}

/* Room appeared: the first waiting sender's message goes in. */
static void admit_waiter(sl_engine *e, sl_actor *a) {
  sl_waiter *w = a->waiters;
  if (w == NULL || a->mbox.count >= a->mbox.bound)
    return;
  a->waiters = w->next;
  if (a->waiters == NULL)
    a->waiters_tail = NULL;
  int rc = deliver(e, a, &w->msg);
  if (rc != 0)
    sl__msg_dispose(e, &w->msg, rc);
  waiter_finish(e, w, rc);
}

static void unlink_actor(sl_engine *e, sl_actor *a) {
  if (a->prev)
    a->prev->next = a->next;
  else
    e->first = a->next;
  if (a->next)
    a->next->prev = a->prev;
  else
    e->last = a->prev;
  a->prev = a->next = NULL;
}

static void finalize(sl_engine *e, sl_actor *a, int reason) {
  if (a->flags & SL_AF_DYING)
    return;
  a->flags |= SL_AF_DYING;
  a->exit_reason = reason;
  if (a->beh->on_stop != NULL && !(a->flags & SL_AF_NO_ON_STOP)) {
    e->depth++;
    a->beh->on_stop(a, reason);
    e->depth--;
  }
  sl_msg m;
  while (sl_mailbox_pop(&a->mbox, &e->mpool, &m))
    sl__msg_dispose(e, &m, SL_ESTOPPED);
  while (a->waiters != NULL) {
    sl_waiter *w = a->waiters;
    a->waiters = w->next;
    sl__msg_dispose(e, &w->msg, SL_ESTOPPED);
    waiter_finish(e, w, SL_ESTOPPED);
  }
  a->waiters_tail = NULL;
  sl__monitors_fire(e, a, reason);
  unlink_actor(e, a);
  sl_slab_free(&e->actors, a);
}

int sl_actor_take_mail(sl_actor *self, sl_msg *out) {
  return sl_mailbox_pop(&self->mbox, &self->engine->mpool, out);
}

int sl_actor_spawn(sl_engine *e, const sl_behaviour *b, void *state,
                   const sl_spawn_opts *opts, sl_id *out) {
  static const sl_spawn_opts no_opts = {0, SL_ID_NONE, NULL};
  if (opts == NULL)
    opts = &no_opts;
  *out = SL_ID_NONE;
  if (b == NULL || b->handle == NULL)
    return SL_EINVAL;
  if (e->closing)
    return SL_ECLOSED;
  sl_id id;
  sl_actor *a = sl_slab_alloc(&e->actors, &id);
  if (a == NULL)
    return SL_ENOMEM;
  a->engine = e;
  a->beh = b;
  a->state = state;
  a->parent = opts->parent;
  a->spin_epoch = e->epoch;
  a->spin_left = e->livelock;
  sl_mailbox_init(&a->mbox, opts->mailbox ? opts->mailbox : e->mailbox);
  a->prev = e->last;
  if (e->last)
    e->last->next = a;
  else
    e->first = a;
  e->last = a;
  *out = id;
  if (b->on_start == NULL)
    return 0;
  a->flags |= SL_AF_IN_TURN;
  e->depth++;
  int rc = b->on_start(a, opts->arg);
  e->depth--;
  a->flags &= ~SL_AF_IN_TURN;
  if (rc < 0) {
    a->flags |= SL_AF_NO_ON_STOP;
    finalize(e, a, rc);
    *out = SL_ID_NONE;
    return rc;
  }
  if (a->flags & SL_AF_STOP_REQ)
    finalize(e, a, a->exit_reason);
  else
    enqueue(e, a); /* it may have mail from on_start */
  return 0;
}

int sl_actor_try_send(sl_engine *e, sl_id to, const sl_msg *msg) {
  sl_actor *a = sl_actor_get(e, to);
  int rc = SL_ESTOPPED;
  if (a != NULL)
    rc = a->waiters ? SL_EFULL : deliver(e, a, msg);
  if (rc != 0) {
    sl_msg m = *msg;
    sl__msg_dispose(e, &m, rc);
  }
  return rc;
}

int sl_actor_send(sl_engine *e, sl_id to, const sl_msg *msg, sl_send_cb cb,
                  void *ud) {
  sl_actor *a = sl_actor_get(e, to);
  int rc = SL_ESTOPPED;
  if (a != NULL && a->waiters == NULL) {
    rc = deliver(e, a, msg);
    if (rc == 0)
      return 0;
  } else if (a != NULL) {
    rc = SL_EFULL;
  }
  if (rc == SL_EFULL) {
    sl_waiter *w = malloc(sizeof(*w));
    if (w != NULL) {
      w->next = NULL;
      w->msg = *msg;
      w->cb = cb;
      w->ud = ud;
      w->status = 0;
      if (a->waiters_tail)
        a->waiters_tail->next = w;
      else
        a->waiters = w;
      a->waiters_tail = w;
      return SL_WAIT;
    }
    rc = SL_ENOMEM;
  }
  sl_msg m = *msg;
  sl__msg_dispose(e, &m, rc);
  return rc;
}

int sl_actor_stop(sl_engine *e, sl_id id, int reason) {
  sl_actor *a = sl_actor_get(e, id);
  if (a == NULL)
    return SL_ESTOPPED;
  if (a->flags & SL_AF_IN_TURN) {
    if (!(a->flags & SL_AF_STOP_REQ)) {
      a->flags |= SL_AF_STOP_REQ;
      a->exit_reason = reason;
    }
    return 0;
  }
  finalize(e, a, reason);
  return 0;
}

int sl_actor_resume(sl_engine *e, sl_id id) {
  sl_actor *a = sl_actor_get(e, id);
  if (a == NULL)
    return SL_ESTOPPED;
  if (!(a->flags & SL_AF_SUSPENDED)) {
    /* The handler's wait ended before it returned SL_WAIT: remember it. */
    if (a->flags & SL_AF_IN_TURN)
      a->flags |= SL_AF_RESUMED;
    return 0;
  }
  a->flags &= ~SL_AF_SUSPENDED;
  if (a->flags & SL_AF_STOP_REQ)
    finalize(e, a, a->exit_reason);
  else if (a->mbox.count > 0)
    enqueue(e, a);
  return 0;
}

/* The actor would handle one message more than the engine's livelock limit
 * since the clock last moved (engine.h).  On the virtual clock nothing else
 * could ever move it (run_for drains the run queue before it looks at
 * timers), so it fails with budget_exceeded instead: logged, counted,
 * stopped as a crash (its monitors and supervisor see the reason).  The
 * real clock counts each idle pass as a move, and a pass is bounded far
 * below the limit: it never comes to this. */
static void livelocked(sl_engine *e, sl_actor *a) {
  char kv[96];
  snprintf(kv, sizeof kv, "actor=%s messages=%u",
           a->beh->name ? a->beh->name : "?", e->livelock);
  sl_log_write(e, SL_LOG_ERROR, "actor", kv,
               "budget_exceeded: it kept the clock from moving (a livelock)");
  e->livelocks++;
  sl_actor_set_exit_message(a, "budget_exceeded");
  finalize(e, a, SL_EBUDGET);
}

static void actor_turn(sl_engine *e, void *ud, uintptr_t arg) {
  (void)ud;
  sl_actor *a = sl_actor_get(e, (sl_id)arg);
  if (a == NULL)
    return;
  a->flags &= ~SL_AF_QUEUED;
  if (a->flags & SL_AF_SUSPENDED)
    return;
  if (a->spin_epoch != e->epoch) { /* the clock moved: a whole allowance */
    a->spin_epoch = e->epoch;
    a->spin_left = e->livelock;
  }
  uint32_t cap = e->batch;
  if (a->spin_left <= cap) { /* near the limit: rarely */
    if (a->spin_left == 0) {
      if (a->mbox.count > 0)
        livelocked(e, a);
      return;
    }
    cap = a->spin_left;
  }
  a->flags |= SL_AF_IN_TURN;
  uint32_t n = 0;
  sl_msg m;
  int rc = 0;
  while (n < cap && sl_mailbox_pop(&a->mbox, &e->mpool, &m)) {
    admit_waiter(e, a);
    e->msgs_received++;
    a->flags &= ~SL_AF_RESUMED;
    e->depth++;
    rc = a->beh->handle(a, &m);
    e->depth--;
    if (rc == SL_WAIT && (a->flags & SL_AF_RESUMED))
      rc = 0; /* resumed already, from inside the handler */
    n++;
    if (rc < 0 || (a->flags & SL_AF_STOP_REQ)) {
      /* The request this handler owed an answer will get none now. */
      sl__msg_dispose(e, &m, SL_ESTOPPED);
      a->flags &= ~SL_AF_IN_TURN;
      finalize(e, a, rc < 0 ? rc : a->exit_reason);
      return;
    }
    sl_msg_release(&m);
    if (rc == SL_WAIT) {
      a->flags |= SL_AF_SUSPENDED;
      break;
    }
  }
  a->flags &= ~SL_AF_IN_TURN;
  a->spin_left -= n;
  if (a->mbox.count > 0)
    enqueue(e, a);
}

/* Runs the engine until actor `id` is gone or `deadline`; only from outside
 * the engine (libuv's loop is not re-entrant). */
static void wait_gone(sl_engine *e, sl_id id, int64_t deadline) {
  while (sl_slab_get(&e->actors, id) != NULL) {
    int64_t now = sl_engine_now(e);
    if (now >= deadline)
      return;
    if (e->clock == SL_CLOCK_VIRTUAL) {
      if (!sl__engine_step(e, deadline))
        return; /* nothing left that could resume it */
    } else {
      sl__engine_run_real(e, deadline - now < 1000 ? deadline - now : 1000);
    }
  }
}

int sl_engine_shutdown(sl_engine *e, int64_t timeout_us) {
  int was_running = e->running;
  int inside = e->running || e->depth > 0;
  e->running = 1; /* callbacks run by the shutdown may not nest run_for */
  int64_t deadline = sl_engine_now(e) + (timeout_us > 0 ? timeout_us : 0);
  int rc = 0;
  e->closing = 1;
  /* Snapshot the ids in reverse spawn order: on_stop hooks may stop other
   * actors, so the list cannot be walked while it changes. */
  uint32_t n = e->actors.live, k = 0;
  sl_id *ids = n ? malloc(n * sizeof(*ids)) : NULL;
  for (sl_actor *a = e->last; a != NULL && k < n; a = a->prev)
    if (ids)
      ids[k++] = sl_actor_id(a);
  for (uint32_t i = 0; i < k; i++) {
    sl_actor *a = sl_actor_get(e, ids[i]);
    if (a == NULL)
      continue;
    if ((a->flags & SL_AF_SUSPENDED) && !inside && timeout_us > 0) {
      a->flags |= SL_AF_STOP_REQ;
      a->exit_reason = SL_EXIT_SHUTDOWN;
      wait_gone(e, ids[i], deadline);
      a = sl_actor_get(e, ids[i]);
      if (a != NULL) {
        finalize(e, a, SL_EXIT_KILLED);
        rc = SL_ETIMEOUT;
      }
    } else if (a->flags & SL_AF_SUSPENDED) {
      finalize(e, a, SL_EXIT_KILLED);
    } else {
      sl_actor_stop(e, ids[i], SL_EXIT_SHUTDOWN);
    }
  }
  free(ids);
  if (ids == NULL && n > 0) /* no memory for the snapshot: stop from the end */
    while (e->last != NULL && !(e->last->flags & SL_AF_IN_TURN))
      finalize(e, e->last, SL_EXIT_SHUTDOWN);
  sl__ask_fail_all(e, SL_ESTOPPED);
  sl__timers_stop_all(e);
  /* The notices and callbacks the stops queued; not what they queue in
   * turn, which could go on for ever (a task that yields in a loop on the
   * real clock, where no livelock rule stops it). */
  if (!inside)
    sl__engine_drain(e, e->rq_len);
  e->running = was_running;
  return rc;
}
