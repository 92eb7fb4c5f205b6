/*
 * oneshot.h -- one value, once.
 *
 *   EMPTY --send--> FULL --recv--> TAKEN
 *     \--close(err)--> CLOSED (a receiver gets err: the sender went away
 *                              without a value, or the wait was abandoned)
 *
 * The basis of ask replies: an ask is a oneshot that the reply fills or the
 * timeout closes, so a reply that comes too late finds it closed and is
 * dropped.  The value's storage is the embedder's (an ask keeps it inside
 * its record), so a oneshot allocates nothing but a waiter.
 */
#ifndef SL_ONESHOT_H
#define SL_ONESHOT_H

#include "chan.h"

enum { SL_ONESHOT_EMPTY, SL_ONESHOT_FULL, SL_ONESHOT_TAKEN,
       SL_ONESHOT_CLOSED };

typedef struct sl_oneshot {
  sl_engine *e;
  const sl_elem_ops *ops;
  void *value; /* ops->size bytes of storage, the embedder's */
  int state;
  int err; /* what a receiver gets once CLOSED or TAKEN */
  sl_waiter_list waiters;
} sl_oneshot;

void sl_oneshot_init(sl_oneshot *o, sl_engine *e, const sl_elem_ops *ops,
                     void *storage);
/* Drops an unreceived value; waiters end with SL_ECLOSED. */
void sl_oneshot_free(sl_oneshot *o);

/* 0, or SL_ECLOSED if it was sent or closed already (elem dropped). */
int sl_oneshot_send(sl_oneshot *o, const void *elem);
/* Closes an EMPTY oneshot: receivers get err (SL_ECLOSED when the sender
 * dropped it).  No effect once a value was sent. */
void sl_oneshot_close(sl_oneshot *o, int err);
/* 0 (the value moves to *out), SL_EEMPTY, or the closing error. */
int sl_oneshot_try_recv(sl_oneshot *o, void *out);
/* SL_WAIT with *w (cb gets the value, the closing error or SL_ETIMEOUT),
 * or an error at once. */
int sl_oneshot_recv(sl_oneshot *o, int64_t timeout_us, sl_recv_cb cb,
                    void *ud, sl_chan_waiter **w);

#endif
