/*
 * timer.c -- binary min-heap of timers keyed by (due, sequence).
 *
 * The key is copied into the heap entry so sifting compares without chasing
 * the timer pointer; each timer remembers its heap index so stop is O(log n).
 */
#include "timer.h"

#include <stdlib.h>

#include "engine.h"
#include "error.h"

static inline int before(const sl_theap_entry *a, const sl_theap_entry *b) {
  return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static inline void place(sl_theap *h, uint32_t i, sl_theap_entry en) {
  h->v[i] = en;
  en.t->heap_index = i;
}

static void sift_up(sl_theap *h, uint32_t i) {
  sl_theap_entry en = h->v[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!before(&en, &h->v[parent]))
      break;
    place(h, i, h->v[parent]);
    i = parent;
  }
  place(h, i, en);
}

static void sift_down(sl_theap *h, uint32_t i) {
  sl_theap_entry en = h->v[i];
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= h->len)
      break;
    if (child + 1 < h->len && before(&h->v[child + 1], &h->v[child]))
      child++;
    if (!before(&h->v[child], &en))
      break;
    place(h, i, h->v[child]);
    i = child;
  }
  place(h, i, en);
}

static void heap_remove(sl_theap *h, uint32_t i) {
  sl_timer *t = h->v[i].t;
  t->heap_index = SL_TIMER_INACTIVE;
  h->len--;
  if (i == h->len)
    return;
  h->v[i] = h->v[h->len];
  h->v[i].t->heap_index = i;
  if (i > 0 && before(&h->v[i], &h->v[(i - 1) / 2]))
    sift_up(h, i);
  else
    sift_down(h, i);
}

/* Inserts t under (t->due, seq). */
static int heap_insert(sl_theap *h, sl_timer *t, uint64_t seq) {
  if (h->len == h->cap) {
    uint32_t cap = h->cap ? h->cap * 2 : 64;
    sl_theap_entry *v = realloc(h->v, cap * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    h->v = v;
    h->cap = cap;
  }
  sl_theap_entry en = {t->due, seq, t};
  h->v[h->len] = en;
  t->heap_index = h->len++;
  sift_up(h, t->heap_index);
  return 0;
}

void sl_timer_init(sl_engine *e, sl_timer *t) {
  t->engine = e;
  t->cb = NULL;
  t->data = NULL;
  t->due = 0;
  t->repeat = 0;
  t->heap_index = SL_TIMER_INACTIVE;
}

int sl_timer_start(sl_timer *t, sl_timer_cb cb, int64_t timeout_us,
                   int64_t repeat_us) {
  if (timeout_us < 0 || repeat_us < 0 || cb == NULL)
    return SL_EINVAL;
  sl_engine *e = t->engine;
  if (e->closed)
    return SL_ECLOSED;
  if (sl_timer_is_active(t))
    heap_remove(&e->timers, t->heap_index);
  t->cb = cb;
  t->due = sl_engine_now(e) + timeout_us;
  t->repeat = repeat_us;
  int rc = heap_insert(&e->timers, t, e->timers.seq++);
  if (rc == 0 && t->heap_index == 0)
    sl__engine_timers_changed(e);
  return rc;
}

int sl_timer_stop(sl_timer *t) {
  if (sl_timer_is_active(t))
    heap_remove(&t->engine->timers, t->heap_index);
  return 0;
}

void sl__theap_close(sl_theap *h) {
  free(h->v);
  h->v = NULL;
  h->len = h->cap = 0;
}

int64_t sl__timers_next_due(const sl_engine *e) {
  return e->timers.len ? e->timers.v[0].due : INT64_MAX;
}

uint64_t sl__timers_run(sl_engine *e, int64_t now) {
  sl_theap *h = &e->timers;
  uint64_t fired = 0;
  while (h->len > 0 && h->v[0].due <= now) {
    sl_timer *t = h->v[0].t;
    uint64_t seq = h->v[0].seq;
    heap_remove(h, 0);
    if (t->repeat > 0) {
      int64_t next = t->due + t->repeat;
      if (next <= now) /* real clock fell behind: skip the missed periods */
        next += ((now - next) / t->repeat + 1) * t->repeat;
      t->due = next;
      /* Re-armed under its start sequence, not a new one: among timers due
       * at one instant the order stays the start order, whatever their
       * periods (a fresh sequence would put a timer that fired recently
       * behind one that fired long ago). */
      if (heap_insert(h, t, seq) != 0)
        t->heap_index = SL_TIMER_INACTIVE; /* out of memory: fire once more */
    }
    fired++;
    t->cb(t);
  }
  return fired;
}

void sl__timers_stop_all(sl_engine *e) {
  sl_theap *h = &e->timers;
  for (uint32_t i = 0; i < h->len; i++)
    h->v[i].t->heap_index = SL_TIMER_INACTIVE;
  h->len = 0;
}
