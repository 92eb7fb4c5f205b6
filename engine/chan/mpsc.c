/*
 * mpsc.c -- bounded FIFO channel (see mpsc.h).
 *
 * Invariants: receivers wait only while the ring is empty; senders wait only
 * while it is full; a value sent while a receiver waits goes straight to
 * that receiver, and a receive that makes room admits the first waiting
 * sender at once.
 */
#include "mpsc.h"

#include <stdlib.h>
#include <string.h>

#include "notify.h"

struct sl_mpsc_sender {
  sl_mpsc_sender *next;
  sl_mpsc *ch;
  sl_send_cb cb;
  void *ud;
  int status;
  unsigned char elem[];
};

static inline void *slot(sl_mpsc *ch, uint32_t i) {
  return ch->buf + (size_t)((ch->head + i) % ch->cap) * ch->ops.size;
}

int sl_mpsc_init(sl_mpsc *ch, sl_engine *e, const sl_elem_ops *ops,
                 uint32_t cap) {
  memset(ch, 0, sizeof(*ch));
  if (cap == 0 || ops->size == 0)
    return SL_EINVAL;
  ch->buf = malloc((size_t)cap * ops->size);
  if (ch->buf == NULL)
    return SL_ENOMEM;
  ch->e = e;
  ch->ops = *ops;
  ch->cap = cap;
  return 0;
}

static void sender_done(sl_engine *e, void *ud, uintptr_t arg) {
  (void)arg;
  sl_mpsc_sender *s = ud;
  s->cb(e, s->ud, s->status);
  free(s);
}

static void sender_finish(sl_mpsc *ch, sl_mpsc_sender *s, int status) {
  if (s->cb == NULL) {
    free(s);
    return;
  }
  s->status = status;
  if (sl_engine_defer(ch->e, sender_done, s, 0) != 0)
    free(s);
}

/* Puts a value in: to a waiting receiver, or at the tail.  Room checked. */
static void put(sl_mpsc *ch, const void *elem) {
  sl_chan_waiter *w = sl__waiter_first(&ch->receivers);
  if (w != NULL) {
    sl__waiter_finish(w, 0, elem);
    return;
  }
  memcpy(slot(ch, ch->len), elem, ch->ops.size);
  ch->len++;
  sl_notify_kick(ch->notify);
}

int sl_mpsc_try_send(sl_mpsc *ch, const void *elem) {
  int rc = ch->closed ? SL_ECLOSED
           : (ch->len == ch->cap || ch->senders) ? SL_ECHANFULL
                                                 : 0;
  if (rc != 0) {
    unsigned char tmp[ch->ops.size];
    memcpy(tmp, elem, ch->ops.size);
    sl_elem_drop(&ch->ops, tmp);
    return rc;
  }
  put(ch, elem);
  return 0;
}

int sl_mpsc_send(sl_mpsc *ch, const void *elem, sl_send_cb cb, void *ud) {
  if (!ch->closed && ch->len < ch->cap && ch->senders == NULL) {
    put(ch, elem);
    return 0;
  }
  if (!ch->closed) {
    sl_mpsc_sender *s = malloc(sizeof(*s) + ch->ops.size);
    if (s != NULL) {
      s->next = NULL;
      s->ch = ch;
      s->cb = cb;
      s->ud = ud;
      s->status = 0;
      memcpy(s->elem, elem, ch->ops.size);
      if (ch->senders_tail)
        ch->senders_tail->next = s;
      else
        ch->senders = s;
      ch->senders_tail = s;
      return SL_WAIT;
    }
  }
  unsigned char tmp[ch->ops.size];
  memcpy(tmp, elem, ch->ops.size);
  sl_elem_drop(&ch->ops, tmp);
  return ch->closed ? SL_ECLOSED : SL_ENOMEM;
}

static void admit_sender(sl_mpsc *ch) {
  sl_mpsc_sender *s = ch->senders;
  if (s == NULL || ch->len >= ch->cap)
    return;
  ch->senders = s->next;
  if (ch->senders == NULL)
    ch->senders_tail = NULL;
  put(ch, s->elem);
  sender_finish(ch, s, 0);
}

int sl_mpsc_try_recv(sl_mpsc *ch, void *out) {
  if (ch->len == 0)
    return ch->closed ? SL_ECLOSED : SL_EEMPTY;
  memcpy(out, slot(ch, 0), ch->ops.size);
  ch->head = (ch->head + 1) % ch->cap;
  ch->len--;
  admit_sender(ch);
  return 0;
}

int sl_mpsc_recv(sl_mpsc *ch, int64_t timeout_us, sl_recv_cb cb, void *ud,
                 sl_chan_waiter **out) {
  *out = NULL;
  if (ch->len == 0 && ch->closed)
    return SL_ECLOSED;
  sl_waiter_list none = {NULL, NULL};
  int have = ch->len > 0;
  sl_chan_waiter *w = sl__waiter_add(ch->e, have ? &none : &ch->receivers,
                                     &ch->ops, timeout_us, cb, ud);
  if (w == NULL)
    return SL_ENOMEM;
  *out = w;
  if (have) {
    unsigned char tmp[ch->ops.size];
    sl_mpsc_try_recv(ch, tmp); /* may admit a sender: not to this waiter */
    w->list = NULL;
    sl__waiter_finish(w, 0, tmp);
  }
  return SL_WAIT;
}

void sl_mpsc_close(sl_mpsc *ch) {
  if (ch->closed)
    return;
  ch->closed = 1;
  sl__waiters_close(&ch->receivers, SL_ECLOSED);
  while (ch->senders != NULL) {
    sl_mpsc_sender *s = ch->senders;
    ch->senders = s->next;
    sl_elem_drop(&ch->ops, s->elem);
    sender_finish(ch, s, SL_ECLOSED);
  }
  ch->senders_tail = NULL;
  sl_notify_kick(ch->notify); /* a stream learns it has ended */
}

void sl_mpsc_free(sl_mpsc *ch) {
  if (ch->buf == NULL)
    return;
  sl_mpsc_close(ch);
  unsigned char tmp[ch->ops.size];
  while (sl_mpsc_try_recv(ch, tmp) == 0)
    sl_elem_drop(&ch->ops, tmp);
  sl__waiters_detach(&ch->receivers);
  sl_notify_free(ch->notify);
  ch->notify = NULL;
  free(ch->buf);
  ch->buf = NULL;
}

int sl_mpsc_set_notify(sl_mpsc *ch, void (*fn)(sl_engine *, void *),
                       void *ud) {
  sl_notify_free(ch->notify);
  ch->notify = NULL;
  if (fn == NULL)
    return 0;
  ch->notify = sl_notify_new(ch->e, fn, ud);
  if (ch->notify == NULL)
    return SL_ENOMEM;
  if (ch->len > 0 || ch->closed)
    sl_notify_kick(ch->notify);
  return 0;
}

/* Cross-thread: the value travels inline in the engine's post queue. */
static void post_deliver(sl_engine *e, void *ud, const void *data) {
  (void)e;
  sl_mpsc_send(ud, data, NULL, NULL);
}

int sl_mpsc_post(sl_mpsc *ch, const void *elem) {
  return sl_engine_post_data(ch->e, post_deliver, ch, elem, ch->ops.size);
}
