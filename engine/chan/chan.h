/*
 * chan.h -- what the four channel kinds share: element types and waiters.
 *
 * A channel carries fixed-size elements described by sl_elem_ops (a size
 * and a drop function that releases whatever an element owns).  Ownership
 * passes with a value: a failed send drops it, a receiver gets it.  For
 * mpsc and oneshot a value moves into exactly one receiver.  Broadcast and
 * watch values stay owned by the channel; receivers get a borrowed copy that
 * is valid while the channel holds it (until it is overwritten).
 *
 * A receiver that waits registers an sl_chan_waiter.  Its callback always
 * runs from the engine's run queue, never from inside the send that woke it,
 * so a send inside a handler cannot re-enter the receiver.  Moved values are
 * copied into the waiter when it is woken; broadcast and watch waiters are
 * only *notified* and read the channel when their callback runs, so a value
 * overwritten meanwhile is never handed out (the receiver counts it as lost
 * instead).
 *
 *   WAITING --(value | close | timeout)--> READY --(run queue)--> callback
 *      \--------------- sl_chan_waiter_cancel: freed, no callback --------/
 */
#ifndef SL_CHAN_H
#define SL_CHAN_H

#include "rt/engine.h"

typedef struct sl_elem_ops {
  size_t size;
  void (*drop)(void *ctx, void *elem); /* may be NULL */
  void *ctx;
} sl_elem_ops;

static inline void sl_elem_drop(const sl_elem_ops *ops, void *elem) {
  if (ops->drop != NULL)
    ops->drop(ops->ctx, elem);
}

/* A receive callback: status 0 with the value, or SL_ECLOSED / SL_ETIMEOUT
 * with elem NULL.  For moved values (mpsc, oneshot) return 1 to keep what
 * the element owns, 0 to let the channel drop it after the call; for
 * borrowed values (broadcast, watch) the return value is ignored. */
typedef int (*sl_recv_cb)(sl_engine *e, void *ud, int status, void *elem);

typedef struct sl_chan_waiter sl_chan_waiter;
typedef struct sl_waiter_list {
  sl_chan_waiter *head, *tail;
} sl_waiter_list;

/* Reads one value for a notified waiter: 0 (copied to out), SL_EEMPTY (go
 * on waiting) or an error (end the wait with it). */
typedef int (*sl_chan_read_fn)(void *src, void *out);

struct sl_chan_waiter {
  sl_chan_waiter *next, *prev;
  sl_waiter_list *list;
  sl_engine *e;
  const sl_elem_ops *ops; /* points at own_ops */
  sl_elem_ops own_ops;
  sl_recv_cb cb;
  void *ud;
  sl_timer timer;
  int state;
  int status;
  int has_elem;
  int has_deadline;
  sl_chan_read_fn read; /* notified kinds read at callback time */
  void *src;
  unsigned char elem[]; /* ops->size bytes */
};

/* Cancels a wait: the callback will not run; a value it carried is dropped.
 * Safe in any state before the callback ran. */
void sl_chan_waiter_cancel(sl_chan_waiter *w);

/* Internals for the channel files. */
sl_chan_waiter *sl__waiter_add(sl_engine *e, sl_waiter_list *l,
                               const sl_elem_ops *ops, int64_t timeout_us,
                               sl_recv_cb cb, void *ud);
/* Ends a WAITING waiter: moves *elem in (if not NULL) and queues the
 * callback with `status`. */
void sl__waiter_finish(sl_chan_waiter *w, int status, const void *elem);
/* Wakes a WAITING waiter of a notified kind: it reads through read(src). */
void sl__waiter_notify(sl_chan_waiter *w, sl_chan_read_fn read, void *src);
/* The first WAITING waiter of a list, or NULL. */
sl_chan_waiter *sl__waiter_first(sl_waiter_list *l);
/* Ends every WAITING waiter of the list with `status`. */
void sl__waiters_close(sl_waiter_list *l, int status);
/* Notifies every WAITING waiter (broadcast and watch). */
void sl__waiters_notify_all(sl_waiter_list *l, sl_chan_read_fn read,
                            void *src);
/* The channel is being freed: every waiter ends with SL_ECLOSED, none will
 * read it, and none points at the list any more. */
void sl__waiters_detach(sl_waiter_list *l);

#endif
