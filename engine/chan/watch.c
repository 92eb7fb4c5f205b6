/*
 * watch.c -- latest value with a version (see watch.h).
 */
#include "watch.h"

#include <stdlib.h>
#include <string.h>

int sl_watch_init(sl_watch *w, sl_engine *e, const sl_elem_ops *ops,
                  const void *initial) {
  memset(w, 0, sizeof(*w));
  if (ops->size == 0)
    return SL_EINVAL;
  w->value = malloc(ops->size);
  if (w->value == NULL)
    return SL_ENOMEM;
  w->e = e;
  w->ops = *ops;
  if (initial != NULL) {
    memcpy(w->value, initial, ops->size);
    w->version = 1;
  }
  return 0;
}

static int read_rx(void *src, void *out) { return sl_watch_try_recv(src, out); }

static void wake_all(sl_watch *w) {
  for (sl_watch_rx *rx = w->rxs; rx != NULL; rx = rx->next) {
    sl__waiters_notify_all(&rx->waiters, read_rx, rx);
    sl_notify_kick(rx->notify);
  }
}

int sl_watch_send(sl_watch *w, const void *elem) {
  if (w->closed) {
    unsigned char tmp[w->ops.size];
    memcpy(tmp, elem, w->ops.size);
    sl_elem_drop(&w->ops, tmp);
    return SL_ECLOSED;
  }
  if (w->version)
    sl_elem_drop(&w->ops, w->value);
  memcpy(w->value, elem, w->ops.size);
  w->version++;
  if (w->rxs != NULL)
    wake_all(w);
  return 0;
}

void sl_watch_close(sl_watch *w) {
  if (w->closed)
    return;
  w->closed = 1;
  wake_all(w);
}

sl_watch_rx *sl_watch_subscribe(sl_watch *w) {
  sl_watch_rx *rx = calloc(1, sizeof(*rx));
  if (rx == NULL)
    return NULL;
  rx->w = w;
  rx->seen = w->version;
  rx->prev = w->rxs_tail;
  if (w->rxs_tail)
    w->rxs_tail->next = rx;
  else
    w->rxs = rx;
  w->rxs_tail = rx;
  return rx;
}

static void detach(sl_watch_rx *rx) {
  sl_watch *w = rx->w;
  if (w == NULL)
    return;
  if (rx->prev)
    rx->prev->next = rx->next;
  else
    w->rxs = rx->next;
  if (rx->next)
    rx->next->prev = rx->prev;
  else
    w->rxs_tail = rx->prev;
  rx->next = rx->prev = NULL;
  rx->w = NULL;
}

void sl_watch_unsubscribe(sl_watch_rx *rx) {
  if (rx == NULL)
    return;
  detach(rx);
  sl__waiters_detach(&rx->waiters);
  sl_notify_free(rx->notify);
  free(rx);
}

int sl_watch_try_recv(sl_watch_rx *rx, void *out) {
  sl_watch *w = rx->w;
  if (w == NULL)
    return SL_ECLOSED;
  if (w->version > rx->seen) {
    memcpy(out, w->value, w->ops.size);
    rx->seen = w->version;
    return 0;
  }
  return w->closed ? SL_ECLOSED : SL_EEMPTY;
}

int sl_watch_recv(sl_watch_rx *rx, int64_t timeout_us, sl_recv_cb cb,
                  void *ud, sl_chan_waiter **out) {
  *out = NULL;
  sl_watch *w = rx->w;
  if (w == NULL || (w->closed && w->version <= rx->seen))
    return SL_ECLOSED;
  sl_chan_waiter *k =
      sl__waiter_add(w->e, &rx->waiters, &w->ops, timeout_us, cb, ud);
  if (k == NULL)
    return SL_ENOMEM;
  *out = k;
  if (w->version > rx->seen)
    sl__waiter_notify(k, read_rx, rx);
  return SL_WAIT;
}

int sl_watch_rx_set_notify(sl_watch_rx *rx, void (*fn)(sl_engine *, void *),
                           void *ud) {
  sl_notify_free(rx->notify);
  rx->notify = NULL;
  if (fn == NULL || rx->w == NULL)
    return 0;
  rx->notify = sl_notify_new(rx->w->e, fn, ud);
  return rx->notify ? 0 : SL_ENOMEM;
}

void sl_watch_free(sl_watch *w) {
  if (w->value == NULL)
    return;
  if (w->version)
    sl_elem_drop(&w->ops, w->value);
  while (w->rxs != NULL) {
    sl_watch_rx *rx = w->rxs;
    detach(rx);
    sl__waiters_detach(&rx->waiters);
    sl_notify_kick(rx->notify);
  }
  free(w->value);
  w->value = NULL;
}
