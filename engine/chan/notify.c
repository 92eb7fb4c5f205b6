/*
 * notify.c -- coalescing run-queue hooks (see notify.h).
 */
#include "notify.h"

#include <stdlib.h>

static void notify_run(sl_engine *e, void *ud, uintptr_t arg) {
  (void)arg;
  sl_notify *n = ud;
  n->queued = 0;
  if (n->removed) {
    free(n);
    return;
  }
  n->fn(e, n->ud);
}

sl_notify *sl_notify_new(sl_engine *e, void (*fn)(sl_engine *, void *),
                         void *ud) {
  sl_notify *n = calloc(1, sizeof(*n));
  if (n == NULL)
    return NULL;
  n->e = e;
  n->fn = fn;
  n->ud = ud;
  return n;
}

void sl_notify_kick(sl_notify *n) {
  if (n == NULL || n->queued || n->removed)
    return;
  if (sl_engine_defer(n->e, notify_run, n, 0) == 0)
    n->queued = 1;
}

void sl_notify_free(sl_notify *n) {
  if (n == NULL)
    return;
  if (n->queued)
    n->removed = 1;
  else
    free(n);
}
