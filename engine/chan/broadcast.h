/*
 * broadcast.h -- one ring of values shared by many receivers, each with its
 * own cursor.
 *
 *   seq:   tail-cap ........................ tail-1 | tail (next write)
 *   ring:  [ oldest held ..................... newest ]
 *   rx A:             ^next                        (behind: reads these)
 *   rx B:  ^next (fell behind by more than cap: skips to tail-cap and
 *                 adds what it missed to `lagged`)
 *
 * Publishing never waits: it overwrites (and drops) the oldest value, so a
 * slow receiver loses values and learns how many, as tokio's broadcast
 * does, while fast ones are not held back.  Values stay owned by the ring;
 * a receiver gets a borrowed copy, valid while the ring still holds it.
 * Receivers are allocated by the channel so that unsubscribing one whose
 * notification is queued is safe.
 */
#ifndef SL_BROADCAST_H
#define SL_BROADCAST_H

#include "chan.h"
#include "notify.h"

typedef struct sl_bcast_rx sl_bcast_rx;

typedef struct sl_bcast {
  sl_engine *e;
  sl_elem_ops ops;
  unsigned char *slots;
  uint32_t cap;
  uint64_t tail; /* sequence number of the next value */
  int closed;
  sl_bcast_rx *rxs, *rxs_tail; /* in subscription order */
  uint32_t nrx;
} sl_bcast;

struct sl_bcast_rx {
  sl_bcast *ch; /* NULL once the channel was freed */
  sl_bcast_rx *next, *prev;
  uint64_t next_seq;
  uint64_t lagged; /* values lost because this receiver fell behind */
  sl_waiter_list waiters;
  sl_notify *notify;
};

int sl_bcast_init(sl_bcast *ch, sl_engine *e, const sl_elem_ops *ops,
                  uint32_t cap);
/* Drops the values, detaches the receivers (they answer SL_ECLOSED; free
 * each with sl_bcast_unsubscribe) and frees the ring. */
void sl_bcast_free(sl_bcast *ch);

/* Adds a value for every receiver.  0, or SL_ECLOSED (value dropped). */
int sl_bcast_publish(sl_bcast *ch, const void *elem);
void sl_bcast_close(sl_bcast *ch);

/* A receiver that sees the values published from now on, or NULL. */
sl_bcast_rx *sl_bcast_subscribe(sl_bcast *ch);
/* Frees a receiver (its waiters end with SL_ECLOSED). */
void sl_bcast_unsubscribe(sl_bcast_rx *rx);

/* Copies the receiver's next value to *out (borrowed): 0, SL_EEMPTY, or
 * SL_ECLOSED once closed and read to the end.  Skips what was overwritten,
 * counting it in rx->lagged. */
int sl_bcast_try_recv(sl_bcast_rx *rx, void *out);
/* Waits for the next value: SL_WAIT with *w set, or SL_ECLOSED/SL_ENOMEM. */
int sl_bcast_recv(sl_bcast_rx *rx, int64_t timeout_us, sl_recv_cb cb,
                  void *ud, sl_chan_waiter **w);
/* A persistent consumer: fn(e, ud) runs from the run queue after values
 * arrive (or the channel closes); it should read with try_recv. */
int sl_bcast_rx_set_notify(sl_bcast_rx *rx, void (*fn)(sl_engine *, void *),
                           void *ud);

#endif
