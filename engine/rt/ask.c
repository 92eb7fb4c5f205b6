/*
 * ask.c -- request/reply records (see ask.h).
 *
 * A record lives in the engine's ask slab from sl_actor_ask until its
 * callback has run.  Its state moves one way:
 *
 *   SENDING --(request queued)--> WAITING --(reply | timeout | dropped)--> DONE
 *
 * DONE records wait on the run queue for their callback and are freed right
 * after it, so a late reply finds either a DONE record or a stale token and is
 * dropped either way.  Failures seen while still SENDING (the receiver was
 * gone) are reported by sl_actor_ask's return value instead of the callback.
 */
#include "ask.h"

#include <string.h>

enum { ASK_SENDING = 1, ASK_WAITING, ASK_DONE };

static void ask_complete(sl_engine *e, void *ud, uintptr_t arg) {
  (void)arg;
  sl_ask *k = ud;
  if (k->status == 0) {
    k->cb(e, k->ud, 0, &k->reply);
    sl_msg_release(&k->reply);
  } else {
    k->cb(e, k->ud, k->status, NULL);
  }
  sl_slab_free(&e->asks, k);
}

/* Moves a WAITING record to DONE and queues its callback. */
static void ask_finish(sl_engine *e, sl_ask *k, int status,
                       const sl_msg *reply) {
  k->state = ASK_DONE;
  k->status = status;
  sl_timer_stop(&k->timer);
  if (reply != NULL)
    k->reply = *reply;
  if (sl_engine_defer(e, ask_complete, k, 0) != 0) {
    /* No memory to queue it: answer now rather than never. */
    ask_complete(e, k, 0);
  }
}

static void ask_timeout(sl_timer *t) {
  sl_ask *k = t->data;
  if (k->state == ASK_WAITING)
    ask_finish(k->engine, k, SL_ETIMEOUT, NULL);
}

int sl_actor_ask(sl_engine *e, sl_id to, const sl_msg *msg,
                 int64_t timeout_us, sl_reply_cb cb, void *ud) {
  sl_id token;
  sl_ask *k = sl_slab_alloc(&e->asks, &token);
  if (k == NULL) {
    sl_msg m = *msg;
    sl__msg_dispose(e, &m, SL_ENOMEM);
    return SL_ENOMEM;
  }
  k->engine = e;
  k->cb = cb;
  k->ud = ud;
  k->state = ASK_SENDING;
  sl_timer_init(e, &k->timer);
  k->timer.data = k;
  sl_msg m = *msg;
  m.reply = token;
  int rc = sl_actor_send(e, to, &m, NULL, NULL);
  if (rc < 0) {
    sl_slab_free(&e->asks, k);
    return rc;
  }
  k->state = ASK_WAITING;
  if (timeout_us >= 0 &&
      sl_timer_start(&k->timer, ask_timeout, timeout_us, 0) != 0)
    ask_finish(e, k, SL_ENOMEM, NULL);
  return 0;
}

int sl_reply(sl_engine *e, uint64_t token, const sl_msg *reply) {
  sl_ask *k = token ? sl_slab_get(&e->asks, token) : NULL;
  if (k == NULL || k->state != ASK_WAITING) {
    sl_msg r = *reply;
    sl_msg_release(&r);
    return token ? SL_ETIMEOUT : SL_EINVAL;
  }
  ask_finish(e, k, 0, reply);
  return 0;
}

int sl_actor_reply(sl_engine *e, sl_msg *req, const sl_msg *reply) {
  uint64_t token = req->reply;
  req->reply = 0;
  return sl_reply(e, token, reply);
}

void sl__ask_fail(sl_engine *e, uint64_t token, int err) {
  sl_ask *k = sl_slab_get(&e->asks, token);
  if (k == NULL)
    return;
  if (k->state == ASK_WAITING)
    ask_finish(e, k, err, NULL);
  /* SENDING: sl_actor_ask reports the failure through its return value. */
}

void sl__ask_fail_all(sl_engine *e, int err) {
  for (uint32_t i = 0; i < e->asks.used; i++) {
    sl_ask *k = sl_slab_at(&e->asks, i);
    if (sl_slab_is_live(k) && k->state == ASK_WAITING)
      ask_finish(e, k, err, NULL);
  }
}
