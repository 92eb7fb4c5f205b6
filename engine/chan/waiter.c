/*
 * waiter.c -- receive waiters shared by the channel kinds (see chan.h).
 *
 * A waiter stays on its channel's list while WAITING and while READY (its
 * callback queued), so closing the channel can still reach it; it leaves
 * the list when its callback runs or it is cancelled.  A READY waiter whose
 * read finds nothing (another waiter of the same receiver took the value)
 * goes back to WAITING with what is left of its timeout.
 */
#include <stdlib.h>
#include <string.h>

#include "chan.h"

enum { W_WAITING = 1, W_READY, W_CANCELLED };

static void unlink_w(sl_chan_waiter *w) {
  sl_waiter_list *l = w->list;
  if (l == NULL)
    return;
  if (w->prev)
    w->prev->next = w->next;
  else
    l->head = w->next;
  if (w->next)
    w->next->prev = w->prev;
  else
    l->tail = w->prev;
  w->next = w->prev = NULL;
  w->list = NULL;
}

static void link_w(sl_waiter_list *l, sl_chan_waiter *w) {
  w->list = l;
  w->next = NULL;
  w->prev = l->tail;
  if (l->tail)
    l->tail->next = w;
  else
    l->head = w;
  l->tail = w;
}

static void on_timeout(sl_timer *t) {
  sl_chan_waiter *w = t->data;
  if (w->state == W_WAITING)
    sl__waiter_finish(w, SL_ETIMEOUT, NULL);
}

static void waiter_run(sl_engine *e, void *ud, uintptr_t arg) {
  (void)arg;
  sl_chan_waiter *w = ud;
  if (w->state == W_CANCELLED) {
    if (w->has_elem)
      sl_elem_drop(w->ops, w->elem);
    free(w);
    return;
  }
  if (w->read != NULL && w->status == 0) {
    int rc = w->read(w->src, w->elem);
    if (rc == SL_EEMPTY) { /* someone else read it first: wait again */
      w->state = W_WAITING;
      w->read = NULL;
      if (w->has_deadline) {
        if (w->timer.due > sl_engine_now(e))
          sl_timer_start(&w->timer, on_timeout,
                         w->timer.due - sl_engine_now(e), 0);
        else
          sl__waiter_finish(w, SL_ETIMEOUT, NULL);
      }
      return;
    }
    w->status = rc;
    w->has_elem = 0; /* borrowed: never dropped by the waiter */
    w->read = NULL;
    unlink_w(w);
    w->cb(e, w->ud, rc, rc == 0 ? w->elem : NULL);
    free(w);
    return;
  }
  unlink_w(w);
  int kept = w->cb(e, w->ud, w->status, w->status == 0 ? w->elem : NULL);
  if (w->status == 0 && w->has_elem && !kept)
    sl_elem_drop(w->ops, w->elem);
  free(w);
}

static void make_ready(sl_chan_waiter *w) {
  w->state = W_READY;
  sl_timer_stop(&w->timer);
  if (sl_engine_defer(w->e, waiter_run, w, 0) != 0) /* no memory: run now */
    waiter_run(w->e, w, 0);
}

sl_chan_waiter *sl__waiter_add(sl_engine *e, sl_waiter_list *l,
                               const sl_elem_ops *ops, int64_t timeout_us,
                               sl_recv_cb cb, void *ud) {
  sl_chan_waiter *w = calloc(1, sizeof(*w) + ops->size);
  if (w == NULL)
    return NULL;
  w->e = e;
  w->own_ops = *ops;
  w->ops = &w->own_ops;
  w->cb = cb;
  w->ud = ud;
  w->state = W_WAITING;
  sl_timer_init(e, &w->timer);
  w->timer.data = w;
  w->has_deadline = timeout_us >= 0;
  if (timeout_us >= 0 && sl_timer_start(&w->timer, on_timeout, timeout_us,
                                        0) != 0) {
    free(w);
    return NULL;
  }
  link_w(l, w);
  return w;
}

void sl__waiter_finish(sl_chan_waiter *w, int status, const void *elem) {
  w->status = status;
  if (elem != NULL) {
    memcpy(w->elem, elem, w->ops->size);
    w->has_elem = 1;
  }
  make_ready(w);
}

void sl__waiter_notify(sl_chan_waiter *w, sl_chan_read_fn read, void *src) {
  w->status = 0;
  w->read = read;
  w->src = src;
  make_ready(w);
}

sl_chan_waiter *sl__waiter_first(sl_waiter_list *l) {
  for (sl_chan_waiter *w = l->head; w != NULL; w = w->next)
    if (w->state == W_WAITING)
      return w;
  return NULL;
}

void sl__waiters_close(sl_waiter_list *l, int status) {
  for (sl_chan_waiter *w = l->head; w != NULL; w = w->next)
    if (w->state == W_WAITING)
      sl__waiter_finish(w, status, NULL);
}

void sl__waiters_notify_all(sl_waiter_list *l, sl_chan_read_fn read,
                            void *src) {
  for (sl_chan_waiter *w = l->head; w != NULL; w = w->next)
    if (w->state == W_WAITING)
      sl__waiter_notify(w, read, src);
}

void sl__waiters_detach(sl_waiter_list *l) {
  sl__waiters_close(l, SL_ECLOSED);
  while (l->head != NULL) {
    sl_chan_waiter *w = l->head;
    if (w->read != NULL) { /* READY and about to read a channel now gone */
      w->read = NULL;
      w->status = SL_ECLOSED;
    }
    unlink_w(w);
  }
}

void sl_chan_waiter_cancel(sl_chan_waiter *w) {
  if (w->state == W_WAITING) {
    sl_timer_stop(&w->timer);
    unlink_w(w);
    free(w);
  } else if (w->state == W_READY) {
    unlink_w(w);
    w->state = W_CANCELLED; /* its queued run frees it */
  }
}
