/*
 * ask.c -- request/reply records (see ask.h).
 *
 * A record lives in the engine's ask slab from sl_actor_ask until its
 * callback has run.  Its state moves one way:
 *
 *   SENDING --(request queued)--> WAITING --(reply | timeout | dropped)--> DONE
 *
 * In WAITING the asker is a receiver waiting on the record's oneshot; the
 * reply sends into it, a timeout or a dropped request closes it with the
 * error, and the oneshot's waiter runs the callback from the run queue and
 * then frees the record.  A late reply finds the record DONE, or its token
 * stale, and is dropped.  Failures seen while still SENDING (the receiver
 * was gone) are reported by sl_actor_ask's return value instead.
 */
#include "ask.h"

#include <string.h>

enum { ASK_SENDING = 1, ASK_WAITING, ASK_DONE };

static void msg_drop(void *ctx, void *elem) {
  (void)ctx;
  sl_msg_release(elem);
}

static const sl_elem_ops msg_ops = {sizeof(sl_msg), msg_drop, NULL};

static int on_answer(sl_engine *e, void *ud, int status, void *elem) {
  sl_ask *k = ud;
  k->cb(e, k->ud, status, elem);
  sl_timer_stop(&k->timer);
  sl_oneshot_free(&k->answer);
  sl_slab_free(&e->asks, k);
  return 0; /* the reply's payload is freed unless the callback took it */
}

/* Ends a WAITING ask with an error: its oneshot closes. */
static void ask_end(sl_ask *k, int err) {
  k->state = ASK_DONE;
  sl_timer_stop(&k->timer);
  sl_oneshot_close(&k->answer, err);
}

static void ask_timeout(sl_timer *t) {
  sl_ask *k = t->data;
  if (k->state == ASK_WAITING)
    ask_end(k, SL_ETIMEOUT);
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
  sl_oneshot_init(&k->answer, e, &msg_ops, &k->reply);
  sl_msg m = *msg;
  m.reply = token;
  int rc = sl_actor_send(e, to, &m, NULL, NULL);
  if (rc < 0) {
    sl_slab_free(&e->asks, k);
    return rc;
  }
  sl_chan_waiter *w;
  rc = sl_oneshot_recv(&k->answer, -1, on_answer, k, &w);
  k->state = ASK_WAITING;
  if (rc != SL_WAIT) {
    /* No memory for the waiter: the request is out, the answer cannot be
     * delivered; say so now rather than never. */
    k->state = ASK_DONE;
    cb(e, ud, SL_ENOMEM, NULL);
    sl_slab_free(&e->asks, k);
    return 0;
  }
  if (timeout_us >= 0 &&
      sl_timer_start(&k->timer, ask_timeout, timeout_us, 0) != 0)
    ask_end(k, SL_ENOMEM);
  return 0;
}

int sl_reply(sl_engine *e, uint64_t token, const sl_msg *reply) {
  sl_ask *k = token ? sl_slab_get(&e->asks, token) : NULL;
  if (k == NULL || k->state != ASK_WAITING) {
    sl_msg r = *reply;
    sl_msg_release(&r);
    return token ? SL_ETIMEOUT : SL_EINVAL;
  }
  k->state = ASK_DONE;
  sl_timer_stop(&k->timer);
  return sl_oneshot_send(&k->answer, reply) == 0 ? 0 : SL_ETIMEOUT;
}

int sl_actor_reply(sl_engine *e, sl_msg *req, const sl_msg *reply) {
  uint64_t token = req->reply;
  req->reply = 0;
  return sl_reply(e, token, reply);
}

void sl__ask_fail(sl_engine *e, uint64_t token, int err) {
  sl_ask *k = sl_slab_get(&e->asks, token);
  if (k != NULL && k->state == ASK_WAITING)
    ask_end(k, err);
  /* SENDING: sl_actor_ask reports the failure through its return value. */
}

void sl__ask_fail_all(sl_engine *e, int err) {
  for (uint32_t i = 0; i < e->asks.used; i++) {
    sl_ask *k = sl_slab_at(&e->asks, i);
    if (sl_slab_is_live(k) && k->state == ASK_WAITING)
      ask_end(k, err);
  }
}
