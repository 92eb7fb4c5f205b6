/*
 * watch.h -- the latest value and its version.
 *
 * A watch holds one value; every send replaces it (dropping the old one) and
 * bumps the version.  Readers either borrow the current value at any time
 * (the coordinator reading drones' statuses does that: no message per tick)
 * or subscribe and wait for a version newer than the last they saw.  A
 * receiver that misses several changes sees only the latest: a watch never
 * queues.
 */
#ifndef SL_WATCH_H
#define SL_WATCH_H

#include "chan.h"
#include "notify.h"

typedef struct sl_watch_rx sl_watch_rx;

typedef struct sl_watch {
  sl_engine *e;
  sl_elem_ops ops;
  unsigned char *value;
  uint64_t version; /* 0: no value yet */
  int closed;
  sl_watch_rx *rxs, *rxs_tail; /* in subscription order */
} sl_watch;

struct sl_watch_rx {
  sl_watch *w; /* NULL once the watch was freed */
  sl_watch_rx *next, *prev;
  uint64_t seen;
  sl_waiter_list waiters;
  sl_notify *notify;
};

/* `initial` may be NULL (no value until the first send). */
int sl_watch_init(sl_watch *w, sl_engine *e, const sl_elem_ops *ops,
                  const void *initial);
void sl_watch_free(sl_watch *w);

/* Replaces the value.  0, or SL_ECLOSED (dropped). */
int sl_watch_send(sl_watch *w, const void *elem);
void sl_watch_close(sl_watch *w);
/* The current value (borrowed), or NULL before the first one. */
static inline const void *sl_watch_borrow(const sl_watch *w) {
  return w->version ? w->value : NULL;
}

/* A receiver that has seen the current version. */
sl_watch_rx *sl_watch_subscribe(sl_watch *w);
void sl_watch_unsubscribe(sl_watch_rx *rx);
/* The value if it changed since the receiver last read: 0 (borrowed copy),
 * SL_EEMPTY, or SL_ECLOSED once closed and seen. */
int sl_watch_try_recv(sl_watch_rx *rx, void *out);
int sl_watch_recv(sl_watch_rx *rx, int64_t timeout_us, sl_recv_cb cb,
                  void *ud, sl_chan_waiter **w);
int sl_watch_rx_set_notify(sl_watch_rx *rx, void (*fn)(sl_engine *, void *),
                           void *ud);

#endif
