/*
 * oneshot.c -- a single value, delivered once (see oneshot.h).
 */
#include "oneshot.h"

#include <string.h>

void sl_oneshot_init(sl_oneshot *o, sl_engine *e, const sl_elem_ops *ops,
                     void *storage) {
  memset(o, 0, sizeof(*o));
  o->e = e;
  o->ops = ops;
  o->value = storage;
  o->state = SL_ONESHOT_EMPTY;
  o->err = SL_ECLOSED;
}

int sl_oneshot_send(sl_oneshot *o, const void *elem) {
  if (o->state != SL_ONESHOT_EMPTY) {
    unsigned char tmp[o->ops->size];
    memcpy(tmp, elem, o->ops->size);
    sl_elem_drop(o->ops, tmp);
    return SL_ECLOSED;
  }
  sl_chan_waiter *w = sl__waiter_first(&o->waiters);
  if (w != NULL) {
    sl__waiter_finish(w, 0, elem);
    o->state = SL_ONESHOT_TAKEN;
    o->err = SL_ECLOSED;
    sl__waiters_close(&o->waiters, SL_ECLOSED); /* nobody else gets one */
    return 0;
  }
  memcpy(o->value, elem, o->ops->size);
  o->state = SL_ONESHOT_FULL;
  return 0;
}

void sl_oneshot_close(sl_oneshot *o, int err) {
  if (o->state != SL_ONESHOT_EMPTY)
    return;
  o->state = SL_ONESHOT_CLOSED;
  o->err = err;
  sl__waiters_close(&o->waiters, err);
}

int sl_oneshot_try_recv(sl_oneshot *o, void *out) {
  switch (o->state) {
  case SL_ONESHOT_FULL:
    memcpy(out, o->value, o->ops->size);
    o->state = SL_ONESHOT_TAKEN;
    o->err = SL_ECLOSED;
    return 0;
  case SL_ONESHOT_EMPTY:
    return SL_EEMPTY;
  default:
    return o->err;
  }
}

int sl_oneshot_recv(sl_oneshot *o, int64_t timeout_us, sl_recv_cb cb,
                    void *ud, sl_chan_waiter **out) {
  *out = NULL;
  if (o->state == SL_ONESHOT_CLOSED || o->state == SL_ONESHOT_TAKEN)
    return o->err;
  sl_chan_waiter *w =
      sl__waiter_add(o->e, &o->waiters, o->ops, timeout_us, cb, ud);
  if (w == NULL)
    return SL_ENOMEM;
  *out = w;
  if (o->state == SL_ONESHOT_FULL) {
    o->state = SL_ONESHOT_TAKEN;
    o->err = SL_ECLOSED;
    sl__waiter_finish(w, 0, o->value);
  }
  return SL_WAIT;
}

void sl_oneshot_free(sl_oneshot *o) {
  if (o->state == SL_ONESHOT_FULL)
    sl_elem_drop(o->ops, o->value);
  o->state = SL_ONESHOT_CLOSED;
  sl__waiters_detach(&o->waiters);
}
