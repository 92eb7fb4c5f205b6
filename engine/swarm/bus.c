/*
 * bus.c -- publication to filtered per-subscription FIFOs (see bus.h).
 *
 * Publishing is a pass over the subscriptions: a type check (and, for a
 * filter, its compiled predicate) decides, then a copy into a ring.  The
 * rings grow by doubling up to their bound and are freed when emptied past
 * SHRINK_ABOVE slots, so a burst's memory is returned once it is read.
 */
#include "bus.h"

#include <stdlib.h>
#include <string.h>

#include "stream/pred.h"

enum { FIRST_CAP = 16, SHRINK_ABOVE = 4096 };

int sl_bus_init(sl_bus *b, sl_engine *e, uint32_t capacity) {
  memset(b, 0, sizeof(*b));
  if (capacity == 0)
    return SL_EINVAL;
  b->e = e;
  b->capacity = capacity;
  return 0;
}

static void detach(sl_bus_sub *s) {
  sl_bus *b = s->bus;
  if (b == NULL)
    return;
  if (s->prev)
    s->prev->next = s->next;
  else
    b->subs = s->next;
  if (s->next)
    s->next->prev = s->prev;
  else
    b->subs_tail = s->prev;
  s->next = s->prev = NULL;
  b->nsubs--;
  s->bus = NULL;
}

void sl_bus_free(sl_bus *b) {
  b->closed = 1;
  while (b->subs != NULL) {
    sl_bus_sub *s = b->subs;
    detach(s);
    sl__waiters_detach(&s->waiters);
    sl_notify_kick(s->notify); /* its owner reads what is left, then closed */
  }
}

int sl_bus_sub_matches(const sl_bus_sub *s, const sl_event *ev) {
  return sl_event_matches(s->type, s->pred, ev);
}

static int wants(const sl_bus_sub *s, const sl_event *ev) {
  return s->match != NULL ? s->match(s->ud, ev) : sl_bus_sub_matches(s, ev);
}

/* Room for one more: grow towards the bound, or drop the oldest.  Ring
 * sizes are powers of two (indices are masked, not divided); the bound is
 * on what is held, so a ring may be up to twice the bound. */
static int make_room(sl_bus_sub *s) {
  if (s->len < s->cap && s->len < s->max)
    return 0;
  if (s->len < s->max && s->cap <= UINT32_MAX / 2) {
    uint32_t cap = s->cap ? s->cap * 2 : FIRST_CAP;
    sl_event *r = malloc((size_t)cap * sizeof(*r));
    if (r != NULL) {
      for (uint32_t i = 0; i < s->len; i++)
        r[i] = s->ring[(s->head + i) & (s->cap - 1)];
      free(s->ring);
      s->ring = r;
      s->cap = cap;
      s->head = 0;
      return 0;
    }
    if (s->len == 0)
      return SL_ENOMEM; /* nothing to drop to make room */
  }
  sl_event *old = &s->ring[s->head];
  if (s->dropped != NULL)
    s->dropped(s->ud, old, s->pushed - s->len);
  sl_event_free(old);
  s->head = (s->head + 1) & (s->cap - 1);
  s->len--;
  s->lagged++;
  return 0;
}

static int read_sub(void *src, void *out) {
  return sl_bus_sub_next(src, out, NULL);
}

/* Queues ev (moved in) and wakes the consumer. */
static void push(sl_bus_sub *s, sl_event *ev) {
  if (make_room(s) != 0) { /* no memory for even one slot: lost */
    sl_event_free(ev);
    s->pushed++;
    s->lagged++;
    return;
  }
  s->ring[(s->head + s->len) & (s->cap - 1)] = *ev;
  s->len++;
  s->pushed++;
  sl__waiters_notify_all(&s->waiters, read_sub, s);
  sl_notify_kick(s->notify);
}

int sl_bus_publish(sl_bus *b, sl_event *ev) {
  if (b->closed) {
    sl_event_free(ev);
    return SL_ECLOSED;
  }
  b->published++;
  sl_bus_sub *last = NULL;
  for (sl_bus_sub *s = b->subs; s != NULL; s = s->next) {
    if (!wants(s, ev))
      continue;
    if (last != NULL) { /* an earlier taker gets a copy */
      sl_event copy;
      sl_event_copy(&copy, ev);
      push(last, &copy);
    }
    last = s;
  }
  if (last != NULL)
    push(last, ev); /* the last one takes the event itself */
  else
    sl_event_free(ev);
  return 0;
}

sl_bus_sub *sl_bus_subscribe(sl_bus *b, int type, struct sl_pred *pred,
                             uint32_t max) {
  if (b->closed)
    return NULL;
  sl_bus_sub *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->bus = b;
  s->type = type;
  if ((s->pred = pred) != NULL)
    sl_pred_retain(pred);
  s->max = max ? max : b->capacity;
  s->prev = b->subs_tail; /* at the tail: served in subscription order */
  if (b->subs_tail)
    b->subs_tail->next = s;
  else
    b->subs = s;
  b->subs_tail = s;
  b->nsubs++;
  return s;
}

void sl_bus_sub_hooks(sl_bus_sub *s, sl_bus_match_fn match,
                      sl_bus_drop_fn dropped, void *ud) {
  s->match = match;
  s->dropped = dropped;
  s->ud = ud;
}

static void release_ring(sl_bus_sub *s) {
  for (uint32_t i = 0; i < s->len; i++)
    sl_event_free(&s->ring[(s->head + i) & (s->cap - 1)]);
  free(s->ring);
  s->ring = NULL;
  s->head = s->len = s->cap = 0;
}

void sl_bus_unsubscribe(sl_bus_sub *s) {
  if (s == NULL)
    return;
  detach(s);
  sl__waiters_detach(&s->waiters);
  sl_notify_free(s->notify);
  release_ring(s);
  sl_pred_release(s->pred);
  free(s);
}

int sl_bus_sub_next(sl_bus_sub *s, sl_event *out, uint64_t *seq) {
  if (s->len == 0)
    return s->bus == NULL ? SL_ECLOSED : SL_EEMPTY;
  if (seq != NULL)
    *seq = s->pushed - s->len;
  *out = s->ring[s->head];
  s->head = (s->head + 1) & (s->cap - 1);
  if (--s->len == 0) {
    s->head = 0;
    if (s->cap > SHRINK_ABOVE) /* a burst is over: give its memory back */
      release_ring(s);
  }
  return 0;
}

static const sl_elem_ops event_ops = {sizeof(sl_event), NULL, NULL};

int sl_bus_sub_recv(sl_bus_sub *s, int64_t timeout_us, sl_recv_cb cb, void *ud,
                    sl_chan_waiter **out) {
  *out = NULL;
  sl_bus *b = s->bus;
  if (b == NULL) /* what a detached one holds is read with next */
    return SL_ECLOSED;
  sl_chan_waiter *w =
      sl__waiter_add(b->e, &s->waiters, &event_ops, timeout_us, cb, ud);
  if (w == NULL)
    return SL_ENOMEM;
  *out = w;
  if (s->len > 0) /* something to read already */
    sl__waiter_notify(w, read_sub, s);
  return SL_WAIT;
}

int sl_bus_sub_set_notify(sl_bus_sub *s, void (*fn)(sl_engine *, void *),
                          void *ud) {
  sl_notify_free(s->notify);
  s->notify = NULL;
  if (fn == NULL || s->bus == NULL)
    return 0;
  s->notify = sl_notify_new(s->bus->e, fn, ud);
  return s->notify ? 0 : SL_ENOMEM;
}
