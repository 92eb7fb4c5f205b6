/*
 * xpost.c -- posting into an engine from other threads.
 *
 * Producers append to a mutex-protected array and, on a real clock, poke the
 * loop with uv_async_send (which coalesces wake-ups).  The engine thread swaps
 * the array for a spare one under the lock and delivers outside it, so
 * producers never wait on delivery.  A virtual-clock engine has no loop to
 * wake; it checks the `xpending` flag at every step of run_for instead.
 * A mutex and a swap are simpler to audit than a lock-free list and, with the
 * lock held only for an append, fast enough (see bench/mpsc).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"

struct sl_xitem {
  sl_run_fn fn;      /* a call, or */
  sl_data_fn dfn;    /* a call with inline data (in msg's bytes), or */
  void *ud;          /* neither: a message for actor `to` */
  sl_id to;
  sl_msg msg;
};

#define XPENDING(e) (&(e)->xpending)

void sl__xpost_init(sl_engine *e) {
  uv_mutex_init(&e->xmu);
  e->xitems = e->xspare = NULL;
  e->xlen = e->xcap = e->xspare_cap = 0;
  atomic_store(XPENDING(e), 0);
}

void sl__xpost_close(sl_engine *e) {
  for (size_t i = 0; i < e->xlen; i++)
    if (e->xitems[i].fn == NULL && e->xitems[i].dfn == NULL)
      sl_msg_release(&e->xitems[i].msg);
  free(e->xitems);
  free(e->xspare);
  e->xitems = e->xspare = NULL;
  e->xlen = e->xcap = e->xspare_cap = 0;
  uv_mutex_destroy(&e->xmu);
}

static int xpush(sl_engine *e, const sl_xitem *it) {
  uv_mutex_lock(&e->xmu);
  if (e->xlen == e->xcap) {
    size_t cap = e->xcap ? e->xcap * 2 : 64;
    sl_xitem *v = realloc(e->xitems, cap * sizeof(*v));
    if (v == NULL) {
      uv_mutex_unlock(&e->xmu);
      return SL_ENOMEM;
    }
    e->xitems = v;
    e->xcap = cap;
  }
  e->xitems[e->xlen++] = *it;
  atomic_store(XPENDING(e), 1);
  uv_mutex_unlock(&e->xmu);
  if (e->clock == SL_CLOCK_REAL)
    uv_async_send(&e->async);
  return 0;
}

int sl_engine_post(sl_engine *e, sl_id to, const sl_msg *msg) {
  sl_xitem it = {NULL, NULL, NULL, to, *msg};
  int rc = xpush(e, &it);
  if (rc != 0)
    sl_msg_release(&it.msg);
  return rc;
}

int sl_engine_post_call(sl_engine *e, sl_run_fn fn, void *ud) {
  sl_xitem it;
  memset(&it, 0, sizeof(it));
  it.fn = fn;
  it.ud = ud;
  return xpush(e, &it);
}

int sl_engine_post_data(sl_engine *e, sl_data_fn fn, void *ud,
                        const void *data, size_t len) {
  if (len > sizeof(sl_msg))
    return SL_EINVAL;
  sl_xitem it;
  memset(&it, 0, sizeof(it));
  it.dfn = fn;
  it.ud = ud;
  memcpy(&it.msg, data, len);
  return xpush(e, &it);
}

void sl__xpost_drain(sl_engine *e) {
  /* Not re-entrant: the spare buffer is in use until this drain ends. */
  if (e->xdraining || !atomic_load(XPENDING(e)))
    return;
  e->xdraining = 1;
  uv_mutex_lock(&e->xmu);
  sl_xitem *items = e->xitems;
  size_t n = e->xlen, cap = e->xcap;
  e->xitems = e->xspare;
  e->xcap = e->xspare_cap;
  e->xlen = 0;
  atomic_store(XPENDING(e), 0);
  uv_mutex_unlock(&e->xmu);
  for (size_t i = 0; i < n; i++) {
    sl_xitem *it = &items[i];
    if (it->fn != NULL)
      it->fn(e, it->ud, 0);
    else if (it->dfn != NULL)
      it->dfn(e, it->ud, &it->msg);
    else
      sl_actor_send(e, it->to, &it->msg, NULL, NULL);
  }
  /* The drained array becomes the spare for the next swap. */
  e->xspare = items;
  e->xspare_cap = cap;
  e->xdraining = 0;
}
