/*
 * mpsc.h -- a bounded FIFO channel: many senders, one consumer at a time.
 *
 * Values are copied into a ring of `cap` elements.  A send that finds no
 * room either fails at once (try_send) or waits in line with its value
 * (send), and is admitted the moment a receive makes room, so waiting
 * senders keep their order and nothing is lost.  Closing wakes every waiter:
 * waiting receivers get SL_ECLOSED (the queue is empty if they wait),
 * waiting senders get SL_ECLOSED and their values are dropped; values already
 * queued can still be received.  A stream can consume the channel through a
 * notify hook instead of waiting.  sl_mpsc_post sends from other threads.
 */
#ifndef SL_MPSC_H
#define SL_MPSC_H

#include "chan.h"
#include "rt/actor.h"

typedef struct sl_mpsc_sender sl_mpsc_sender;
typedef struct sl_notify sl_notify;

typedef struct sl_mpsc {
  sl_engine *e;
  sl_elem_ops ops;
  unsigned char *buf;
  uint32_t cap, head, len;
  int closed;
  sl_waiter_list receivers;
  sl_mpsc_sender *senders, *senders_tail;
  sl_notify *notify;
} sl_mpsc;

/* Returns 0, SL_EINVAL (cap 0 or element size 0) or SL_ENOMEM. */
int sl_mpsc_init(sl_mpsc *ch, sl_engine *e, const sl_elem_ops *ops,
                 uint32_t cap);
/* Closes the channel, drops what it holds and frees it. */
void sl_mpsc_free(sl_mpsc *ch);

/* 0, SL_ECHANFULL or SL_ECLOSED; the value is dropped on failure. */
int sl_mpsc_try_send(sl_mpsc *ch, const void *elem);
/* 0 (in), SL_WAIT (waits; cb, which may be NULL, runs once later with 0 or
 * SL_ECLOSED), SL_ECLOSED or SL_ENOMEM (dropped; cb not called). */
int sl_mpsc_send(sl_mpsc *ch, const void *elem, sl_send_cb cb, void *ud);
/* Thread-safe: the value is sent (waiting for room) on the engine's thread.
 * The element must fit in sizeof(sl_msg) bytes.  0, SL_EINVAL or
 * SL_ENOMEM. */
int sl_mpsc_post(sl_mpsc *ch, const void *elem);

/* Moves the oldest value into *out: 0, SL_EEMPTY, or SL_ECLOSED (closed and
 * drained). */
int sl_mpsc_try_recv(sl_mpsc *ch, void *out);
/* Waits for a value: SL_WAIT with *w set (cb runs later with the value,
 * SL_ETIMEOUT or SL_ECLOSED), or SL_ECLOSED / SL_ENOMEM at once.  A value
 * already queued is delivered through cb too. */
int sl_mpsc_recv(sl_mpsc *ch, int64_t timeout_us, sl_recv_cb cb, void *ud,
                 sl_chan_waiter **w);
void sl_mpsc_close(sl_mpsc *ch);

/* A persistent consumer: fn(e, ud) runs from the run queue whenever values
 * are waiting, and should read them with try_recv.  NULL fn removes it. */
int sl_mpsc_set_notify(sl_mpsc *ch, void (*fn)(sl_engine *, void *),
                       void *ud);

static inline uint32_t sl_mpsc_len(const sl_mpsc *ch) { return ch->len; }

#endif
