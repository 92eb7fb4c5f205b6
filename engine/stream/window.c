/*
 * window.c -- the timed operators: window(seconds, max_count) and
 * aggregate(seconds).
 *
 * Both open a window at the first item after the previous one closed and
 * arm a timer for `seconds` later.  Whichever comes first at the boundary --
 * the timer, or an item whose time is already past it -- closes the window,
 * so an item at exactly first + seconds always belongs to the next one,
 * however the two are ordered within that instant.  aggregate keeps only
 * statistics: distinct sources in an open-addressing set whose slots are
 * stamped with the window number, so it needs no clearing between windows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt/error.h"
#include "stream.h"

/* --- window -------------------------------------------------------------- */

typedef struct window_op {
  sl_op op;
  int64_t seconds;
  uint32_t max;
  sl_batch *batch;
  int64_t first;
  sl_timer timer;
} window_op;

static void window_emit(window_op *w) {
  sl_timer_stop(&w->timer);
  if (w->batch == NULL)
    return;
  sl_item it;
  it.kind = SL_ITEM_BATCH;
  it.t = sl_engine_now(w->op.s->e);
  it.u.batch = w->batch;
  w->batch = NULL;
  sl__stream_emit(&w->op, &it);
  sl_item_release(&it);
}

static void window_due(sl_timer *t) { window_emit(t->data); }

static void window_push(sl_op *op, sl_item *it) {
  window_op *w = (window_op *)op;
  /* The item's own time (taken when it entered the stream): a telemetry
   * pass stamps a million samples with one clock read, not a million. */
  int64_t now = it->t;
  if (w->batch != NULL && now - w->first >= w->seconds)
    window_emit(w);
  if (w->batch == NULL) {
    w->batch = calloc(1, sizeof(*w->batch));
    if (w->batch == NULL)
      return;
    w->first = now;
    sl_timer_start(&w->timer, window_due, w->seconds, 0);
  }
  if (sl_batch_push(w->batch, it) == 0 && w->batch->n >= w->max)
    window_emit(w);
}

static void window_flush(sl_op *op) { window_emit((window_op *)op); }

static void window_free(sl_op *op) {
  window_op *w = (window_op *)op;
  sl_timer_stop(&w->timer);
  sl_batch_free(w->batch);
  free(w);
}

int sl_stream_window(sl_stream *s, int64_t seconds_us, uint32_t max_count) {
  if (seconds_us <= 0 || max_count == 0)
    return SL_EINVAL;
  window_op *w = calloc(1, sizeof(*w));
  if (w == NULL)
    return SL_ENOMEM;
  w->op.push = window_push;
  w->op.flush = window_flush;
  w->op.free = window_free;
  w->seconds = seconds_us;
  w->max = max_count;
  sl_timer_init(s->e, &w->timer);
  w->timer.data = w;
  return sl__stream_add(s, &w->op);
}

/* --- aggregate ----------------------------------------------------------- */

typedef struct seen_slot {
  uint64_t key;
  uint32_t stamp;
} seen_slot;

typedef struct agg_op {
  sl_op op;
  int64_t seconds;
  char *source, *value, *category;
  sl_agg *cur;
  int64_t first;
  sl_timer timer;
  /* distinct sources of the open window: small non-negative integers (drone
   * ids) in a dense stamp array, anything else in a hash set */
  seen_slot *seen;
  uint32_t seen_cap, seen_n, stamp;
  uint32_t *dense;
  uint32_t ndense;
  /* fields resolved for the last record schema seen */
  const sl_schema *schema;
  const sl_field *f_source, *f_value, *f_category;
} agg_op;

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

static int seen_grow(agg_op *a) {
  uint32_t cap = a->seen_cap ? a->seen_cap * 2 : 64;
  seen_slot *v = calloc(cap, sizeof(*v));
  if (v == NULL)
    return SL_ENOMEM;
  for (uint32_t i = 0; i < a->seen_cap; i++) {
    if (a->seen[i].stamp != a->stamp)
      continue;
    uint32_t j = (uint32_t)mix(a->seen[i].key) & (cap - 1);
    while (v[j].stamp == a->stamp)
      j = (j + 1) & (cap - 1);
    v[j] = a->seen[i];
  }
  free(a->seen);
  a->seen = v;
  a->seen_cap = cap;
  return 0;
}

#define DENSE_MAX (1u << 22)

/* 1 when the integer source `v` (0 <= v < DENSE_MAX) is new this window. */
static int dense_add(agg_op *a, uint32_t v) {
  if (v >= a->ndense) {
    uint32_t n = a->ndense ? a->ndense : 1024;
    while (n <= v)
      n *= 2;
    uint32_t *d = realloc(a->dense, n * sizeof(*d));
    if (d == NULL)
      return 0;
    memset(d + a->ndense, 0, (n - a->ndense) * sizeof(*d));
    a->dense = d;
    a->ndense = n;
  }
  if (a->dense[v] == a->stamp)
    return 0;
  a->dense[v] = a->stamp;
  return 1;
}

/* 1 when `key` is new in this window. */
static int seen_add(agg_op *a, uint64_t key) {
  if ((a->seen_n + 1) * 2 > a->seen_cap && seen_grow(a) != 0)
    return 0;
  uint32_t j = (uint32_t)mix(key) & (a->seen_cap - 1);
  while (a->seen[j].stamp == a->stamp) {
    if (a->seen[j].key == key)
      return 0;
    j = (j + 1) & (a->seen_cap - 1);
  }
  a->seen[j].stamp = a->stamp;
  a->seen[j].key = key;
  a->seen_n++;
  return 1;
}

static void count_cat(sl_agg *g, const char *name) {
  for (uint32_t i = 0; i < g->ncats; i++)
    if (strcmp(g->cats[i].name, name) == 0) {
      g->cats[i].count++;
      return;
    }
  if (g->ncats == g->capcats) {
    uint32_t cap = g->capcats ? g->capcats * 2 : 8;
    sl_agg_cat *v = realloc(g->cats, cap * sizeof(*v));
    if (v == NULL)
      return;
    g->cats = v;
    g->capcats = cap;
  }
  g->cats[g->ncats].name = strdup(name);
  if (g->cats[g->ncats].name != NULL)
    g->cats[g->ncats++].count = 1;
}

static void agg_emit(agg_op *a) {
  sl_timer_stop(&a->timer);
  if (a->cur == NULL)
    return;
  sl_item it;
  it.kind = SL_ITEM_AGG;
  it.t = a->cur->t = sl_engine_now(a->op.s->e);
  it.u.agg = a->cur;
  a->cur = NULL;
  sl__stream_emit(&a->op, &it);
  sl_item_release(&it);
}

static void agg_due(sl_timer *t) { agg_emit(t->data); }

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void agg_push(sl_op *op, sl_item *it) {
  agg_op *a = (agg_op *)op;
  int64_t now = it->t; /* as window_push */
  if (a->cur != NULL && now - a->first >= a->seconds)
    agg_emit(a);
  if (a->cur == NULL) {
    sl_agg *g = calloc(1, sizeof(*g));
    if (g == NULL)
      return;
    g->min = INFINITY;
    g->max = -INFINITY;
    g->source = dup_or_null(a->source);
    g->value = dup_or_null(a->value);
    g->category = dup_or_null(a->category);
    a->cur = g;
    a->first = now;
    a->stamp++;
    a->seen_n = 0;
    sl_timer_start(&a->timer, agg_due, a->seconds, 0);
  }
  sl_agg *g = a->cur;
  g->samples++;
  double x;
  const char *cat = NULL;
  int is_rec = it->kind == SL_ITEM_RECORD;
  if (is_rec && it->u.rec.schema != a->schema) {
    a->schema = it->u.rec.schema;
    a->f_source = a->source ? sl_schema_field(a->schema, a->source) : NULL;
    a->f_value = a->value ? sl_schema_field(a->schema, a->value) : NULL;
    a->f_category =
        a->category ? sl_schema_field(a->schema, a->category) : NULL;
  }
  if (a->source != NULL &&
      (is_rec ? (a->f_source && sl_record_num(it, a->f_source, &x) == 0)
              : sl_item_num(it, a->source, &x) == 0)) {
    if (x >= 0 && x < DENSE_MAX && x == (double)(uint32_t)x) {
      g->distinct += dense_add(a, (uint32_t)x); /* -0.0 lands here too */
    } else {
      uint64_t key;
      memcpy(&key, &x, sizeof(key));
      g->distinct += seen_add(a, key);
    }
  }
  if (a->value != NULL &&
      (is_rec ? (a->f_value && sl_record_num(it, a->f_value, &x) == 0)
              : sl_item_num(it, a->value, &x) == 0)) {
    g->valued++;
    g->sum += x;
    if (x < g->min)
      g->min = x;
    if (x > g->max)
      g->max = x;
  }
  if (a->category != NULL &&
      (is_rec ? (a->f_category &&
                 (cat = sl_record_cat(it, a->f_category)) != NULL)
              : sl_item_str(it, a->category, &cat) == 0))
    count_cat(g, cat);
}

static void agg_flush(sl_op *op) { agg_emit((agg_op *)op); }

static void agg_free(sl_op *op) {
  agg_op *a = (agg_op *)op;
  sl_timer_stop(&a->timer);
  sl_agg_free(a->cur);
  free(a->seen);
  free(a->dense);
  free(a->source);
  free(a->value);
  free(a->category);
  free(a);
}

int sl_stream_aggregate(sl_stream *s, int64_t seconds_us, const char *source,
                        const char *value, const char *category) {
  if (seconds_us <= 0)
    return SL_EINVAL;
  agg_op *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return SL_ENOMEM;
  a->op.push = agg_push;
  a->op.flush = agg_flush;
  a->op.free = agg_free;
  a->seconds = seconds_us;
  a->source = dup_or_null(source);
  a->value = dup_or_null(value);
  a->category = dup_or_null(category);
  sl_timer_init(s->e, &a->timer);
  a->timer.data = a;
  return sl__stream_add(s, &a->op);
}
