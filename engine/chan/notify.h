/*
 * notify.h -- "there is something to read" hooks for persistent consumers.
 *
 * A stream that reads a channel, or a swarm:on handler that reads the event
 * bus, should not wait value by value; it registers a notify hook and is run
 * once from the run queue after any number of sends, reading everything
 * there is.  A notifier is heap-allocated so that removing it while its run
 * is queued is safe: the queued run frees it instead of calling it.
 */
#ifndef SL_NOTIFY_H
#define SL_NOTIFY_H

#include "rt/engine.h"

struct sl_notify {
  sl_engine *e;
  void (*fn)(sl_engine *e, void *ud);
  void *ud;
  int queued;
  int removed;
};
typedef struct sl_notify sl_notify;

/* A notifier for fn(e, ud), or NULL when out of memory. */
sl_notify *sl_notify_new(sl_engine *e, void (*fn)(sl_engine *, void *),
                         void *ud);
/* Queues one run unless one is queued already. */
void sl_notify_kick(sl_notify *n);
/* Removes it: a queued run is dropped. */
void sl_notify_free(sl_notify *n);

#endif
