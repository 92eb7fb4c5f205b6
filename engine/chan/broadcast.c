/*
 * broadcast.c -- shared ring with per-receiver cursors (see broadcast.h).
 *
 * Publishing touches only the receivers that wait or have a notify hook;
 * the others catch up, or lag, when they next read.
 */
#include "broadcast.h"

#include <stdlib.h>
#include <string.h>

static inline void *slot(sl_bcast *ch, uint64_t seq) {
  return ch->slots + (size_t)(seq % ch->cap) * ch->ops.size;
}

int sl_bcast_init(sl_bcast *ch, sl_engine *e, const sl_elem_ops *ops,
                  uint32_t cap) {
  memset(ch, 0, sizeof(*ch));
  if (cap == 0 || ops->size == 0)
    return SL_EINVAL;
  ch->slots = malloc((size_t)cap * ops->size);
  if (ch->slots == NULL)
    return SL_ENOMEM;
  ch->e = e;
  ch->ops = *ops;
  ch->cap = cap;
  return 0;
}

static int read_rx(void *src, void *out) { return sl_bcast_try_recv(src, out); }

static void wake(sl_bcast_rx *rx) {
  sl__waiters_notify_all(&rx->waiters, read_rx, rx);
  sl_notify_kick(rx->notify);
}

int sl_bcast_publish(sl_bcast *ch, const void *elem) {
  if (ch->closed) {
    unsigned char tmp[ch->ops.size];
    memcpy(tmp, elem, ch->ops.size);
    sl_elem_drop(&ch->ops, tmp);
    return SL_ECLOSED;
  }
  void *s = slot(ch, ch->tail);
  if (ch->tail >= ch->cap)
    sl_elem_drop(&ch->ops, s); /* the oldest value leaves the ring */
  memcpy(s, elem, ch->ops.size);
  ch->tail++;
  for (sl_bcast_rx *rx = ch->rxs; rx != NULL; rx = rx->next)
    if (rx->waiters.head != NULL || rx->notify != NULL)
      wake(rx);
  return 0;
}

void sl_bcast_close(sl_bcast *ch) {
  if (ch->closed)
    return;
  ch->closed = 1;
  for (sl_bcast_rx *rx = ch->rxs; rx != NULL; rx = rx->next)
    wake(rx);
}

sl_bcast_rx *sl_bcast_subscribe(sl_bcast *ch) {
  sl_bcast_rx *rx = calloc(1, sizeof(*rx));
  if (rx == NULL)
    return NULL;
  rx->ch = ch;
  rx->next_seq = ch->tail;
  rx->prev = ch->rxs_tail; /* at the tail: woken in subscription order */
  if (ch->rxs_tail)
    ch->rxs_tail->next = rx;
  else
    ch->rxs = rx;
  ch->rxs_tail = rx;
  ch->nrx++;
  return rx;
}

static void detach(sl_bcast_rx *rx) {
  sl_bcast *ch = rx->ch;
  if (ch == NULL)
    return;
  if (rx->prev)
    rx->prev->next = rx->next;
  else
    ch->rxs = rx->next;
  if (rx->next)
    rx->next->prev = rx->prev;
  else
    ch->rxs_tail = rx->prev;
  rx->next = rx->prev = NULL;
  ch->nrx--;
  rx->ch = NULL;
}

void sl_bcast_unsubscribe(sl_bcast_rx *rx) {
  if (rx == NULL)
    return;
  detach(rx);
  sl__waiters_detach(&rx->waiters);
  sl_notify_free(rx->notify);
  free(rx);
}

int sl_bcast_try_recv(sl_bcast_rx *rx, void *out) {
  sl_bcast *ch = rx->ch;
  if (ch == NULL)
    return SL_ECLOSED;
  uint64_t oldest = ch->tail > ch->cap ? ch->tail - ch->cap : 0;
  if (rx->next_seq < oldest) {
    rx->lagged += oldest - rx->next_seq;
    rx->next_seq = oldest;
  }
  if (rx->next_seq == ch->tail)
    return ch->closed ? SL_ECLOSED : SL_EEMPTY;
  memcpy(out, slot(ch, rx->next_seq), ch->ops.size);
  rx->next_seq++;
  return 0;
}

int sl_bcast_recv(sl_bcast_rx *rx, int64_t timeout_us, sl_recv_cb cb,
                  void *ud, sl_chan_waiter **out) {
  *out = NULL;
  sl_bcast *ch = rx->ch;
  if (ch == NULL || (ch->closed && rx->next_seq == ch->tail))
    return SL_ECLOSED;
  sl_chan_waiter *w =
      sl__waiter_add(ch->e, &rx->waiters, &ch->ops, timeout_us, cb, ud);
  if (w == NULL)
    return SL_ENOMEM;
  *out = w;
  if (rx->next_seq != ch->tail) /* something to read already */
    sl__waiter_notify(w, read_rx, rx);
  return SL_WAIT;
}

int sl_bcast_rx_set_notify(sl_bcast_rx *rx, void (*fn)(sl_engine *, void *),
                           void *ud) {
  sl_notify_free(rx->notify);
  rx->notify = NULL;
  if (fn == NULL || rx->ch == NULL)
    return 0;
  rx->notify = sl_notify_new(rx->ch->e, fn, ud);
  return rx->notify ? 0 : SL_ENOMEM;
}

void sl_bcast_free(sl_bcast *ch) {
  if (ch->slots == NULL)
    return;
  uint64_t oldest = ch->tail > ch->cap ? ch->tail - ch->cap : 0;
  for (uint64_t seq = oldest; seq < ch->tail; seq++)
    sl_elem_drop(&ch->ops, slot(ch, seq));
  while (ch->rxs != NULL) {
    sl_bcast_rx *rx = ch->rxs;
    detach(rx);
    sl__waiters_detach(&rx->waiters);
    sl_notify_kick(rx->notify); /* its owner reads SL_ECLOSED */
  }
  free(ch->slots);
  ch->slots = NULL;
}
