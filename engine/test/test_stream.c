/* Tests for telemetry streams and their operators (engine/stream). */
#include "stream/stream.h"
#include "t.h"

/* A sample-like record: drone, battery, state. */
typedef struct rec {
  int64_t drone;
  double battery;
  uint8_t state;
} rec;

static const char *const states[] = {"idle", "moving", "patrolling"};
static const sl_field rec_fields[] = {
    {"drone", SL_F_INT, offsetof(rec, drone), NULL, 0},
    {"battery", SL_F_NUM, offsetof(rec, battery), NULL, 0},
    {"state", SL_F_CAT, offsetof(rec, state), states, 3},
};
static const sl_schema rec_schema = {"rec", sizeof(rec), rec_fields, 3};

/* What reached the sink, with the time it was emitted. */
typedef struct out {
  int n;
  int kinds[64];
  int64_t at[64];
  int sizes[64];    /* batch sizes */
  double first[64]; /* battery of the first item (or of the record) */
  sl_agg aggs[8];   /* aggregates, copied */
  char cats[8][3][16];
  uint64_t catn[8][3];
  int naggs;
  sl_stream *free_me; /* free this stream from inside the sink */
  sl_stream *hold_me; /* hold this stream from inside the sink */
} out;

static void sink(sl_engine *e, void *ud, sl_item *it) {
  out *o = ud;
  int i = o->n++;
  o->kinds[i] = it->kind;
  o->at[i] = it->t;
  if (it->kind == SL_ITEM_BATCH) {
    o->sizes[i] = (int)it->u.batch->n;
    sl_item_num(&it->u.batch->items[0], "battery", &o->first[i]);
  } else if (it->kind == SL_ITEM_RECORD) {
    sl_item_num(it, "battery", &o->first[i]);
  } else if (it->kind == SL_ITEM_AGG && o->naggs < 8) {
    sl_agg *g = it->u.agg;
    int k = o->naggs++;
    o->aggs[k] = *g;
    for (uint32_t c = 0; c < g->ncats && c < 3; c++) {
      snprintf(o->cats[k][c], 16, "%s", g->cats[c].name);
      o->catn[k][c] = g->cats[c].count;
    }
  }
  if (o->hold_me)
    sl_stream_hold(o->hold_me, 1);
  if (o->free_me) {
    sl_stream *s = o->free_me;
    o->free_me = NULL;
    sl_stream_free(s);
  }
}

static void push_rec(sl_stream *s, int64_t drone, double battery,
                     uint8_t state) {
  rec r = {drone, battery, state};
  sl_item it;
  sl_item_record(&it, &rec_schema, &r, sl_engine_now(s->e));
  sl_stream_push(s, &it);
}

/* Feeds one record per call of a repeating timer. */
typedef struct feeder {
  sl_timer t;
  sl_stream *s;
  int i;
} feeder;

static void feed(sl_timer *t) {
  feeder *f = (feeder *)t;
  push_rec(f->s, f->i % 3, 100 - f->i, (uint8_t)(f->i % 3));
  f->i++;
}

static int keep_odd_drones(void *ud, const sl_item *it) {
  double d;
  return sl_item_num(it, "drone", &d) == 0 && ((int)d % 2) == 1;
}

static int halve_battery(void *ud, const sl_item *in, sl_item *o) {
  rec r;
  memcpy(&r, in->u.rec.data, sizeof(r));
  r.battery /= 2;
  sl_item_record(o, &rec_schema, &r, in->t);
  return 0;
}

TEST(filter_and_map) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  CHECK_INT(sl_stream_filter(s, keep_odd_drones, NULL, NULL), 0);
  CHECK_INT(sl_stream_map(s, halve_battery, NULL, NULL), 0);
  CHECK_INT(sl_stream_sink(s, sink, &o, 16), 0);
  for (int d = 0; d < 6; d++)
    push_rec(s, d, 80, 0);
  CHECK_INT(o.n, 0); /* delivered from the run queue */
  sl_engine_run_for(&e, 0);
  CHECK_INT(o.n, 3);
  CHECK_DBL(o.first[0], 40, 0);
  CHECK_INT(s->received, 6);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(window_closes_at_max_count) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_window(s, 10000000, 3);
  sl_stream_sink(s, sink, &o, 16);
  feeder f = {.s = s};
  sl_timer_init(&e, &f.t);
  sl_timer_start(&f.t, feed, 100000, 100000);
  sl_engine_run_for(&e, 700000); /* items at 0.1 .. 0.7 */
  REQUIRE(o.n == 2);
  CHECK_INT(o.sizes[0], 3);
  CHECK_INT(o.at[0], 300000); /* the moment the third arrived */
  CHECK_INT(o.sizes[1], 3);
  CHECK_INT(o.at[1], 600000);
  CHECK_DBL(o.first[1], 97, 0);
  sl_timer_stop(&f.t);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(window_closes_exactly_at_seconds_after_its_first_item) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_window(s, 1000000, 1000);
  sl_stream_sink(s, sink, &o, 16);
  feeder f = {.s = s};
  sl_timer_init(&e, &f.t);
  /* At t = 1.25 the window's timer (armed at 0.25, before the feeder was
   * re-armed at 1.0) fires first and closes the batch; the item then opens
   * the next one.  The item-first order is the boundary test below. */
  sl_timer_start(&f.t, feed, 250000, 250000);
  sl_engine_run_for(&e, 2300000); /* items at 0.25, 0.5, ... 2.25 */
  REQUIRE(o.n == 2);
  CHECK_INT(o.at[0], 1250000);
  CHECK_INT(o.sizes[0], 4); /* 0.25 0.5 0.75 1.0 */
  CHECK_INT(o.at[1], 2250000);
  CHECK_INT(o.sizes[1], 4); /* 1.25 1.5 1.75 2.0 */
  CHECK_DBL(o.first[1], 96, 0);
  sl_timer_stop(&f.t);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(window_timer_emits_a_quiet_batch) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_window(s, 1000000, 1000);
  sl_stream_sink(s, sink, &o, 16);
  sl_engine_run_for(&e, 300000);
  push_rec(s, 1, 50, 0);
  sl_engine_run_for(&e, 200000);
  push_rec(s, 2, 60, 0);
  sl_engine_run_for(&e, 5000000);
  REQUIRE(o.n == 1);
  CHECK_INT(o.at[0], 1300000); /* 1 s after its first item, no later item */
  CHECK_INT(o.sizes[0], 2);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(aggregate_counts_sources_values_and_categories) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  CHECK_INT(sl_stream_aggregate(s, 1000000, "drone", "battery", "state"), 0);
  sl_stream_sink(s, sink, &o, 16);
  feeder f = {.s = s};
  sl_timer_init(&e, &f.t);
  sl_timer_start(&f.t, feed, 100000, 100000);
  sl_engine_run_for(&e, 2150000);
  /* Window 1: items at 0.1 .. 1.0 (i = 0..9), closed at 1.1 by the item. */
  REQUIRE(o.naggs >= 1);
  sl_agg *g = &o.aggs[0];
  CHECK_INT(o.at[0], 1100000);
  CHECK_INT(g->samples, 10);
  CHECK_INT(g->distinct, 3);
  CHECK_INT(g->valued, 10);
  CHECK_DBL(g->sum / (double)g->valued, 95.5, 1e-12);
  CHECK_DBL(g->min, 91, 0);
  CHECK_DBL(g->max, 100, 0);
  CHECK_STR(o.cats[0][0], "idle");
  CHECK_INT(o.catn[0][0], 4); /* i = 0, 3, 6, 9 */
  CHECK_STR(o.cats[0][1], "moving");
  CHECK_INT(o.catn[0][1], 3);
  CHECK_STR(o.cats[0][2], "patrolling");
  CHECK_INT(o.catn[0][2], 3);
  REQUIRE(o.naggs == 2);
  CHECK_INT(o.at[1], 2100000);
  CHECK_INT(o.aggs[1].samples, 10);
  CHECK_DBL(o.aggs[1].max, 90, 0);
  sl_timer_stop(&f.t);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(throttle_lets_one_through_per_period) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_throttle(s, 250000);
  sl_stream_sink(s, sink, &o, 16);
  feeder f = {.s = s};
  sl_timer_init(&e, &f.t);
  sl_timer_start(&f.t, feed, 100000, 100000);
  sl_engine_run_for(&e, 1000000);
  REQUIRE(o.n == 4);
  CHECK_INT(o.at[0], 100000);
  CHECK_INT(o.at[1], 400000);
  CHECK_INT(o.at[2], 700000);
  CHECK_INT(o.at[3], 1000000);
  sl_timer_stop(&f.t);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(slow_sink_drops_and_counts_never_blocks) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_sink(s, sink, &o, 4);
  for (int i = 0; i < 10; i++) /* all pushed before the sink can run */
    push_rec(s, i, 100 - i, 0);
  CHECK_INT(s->lagged, 6);
  sl_engine_run_for(&e, 0);
  CHECK_INT(o.n, 4);
  CHECK_DBL(o.first[0], 100, 0); /* the first four, in order */
  CHECK_DBL(o.first[3], 97, 0);
  push_rec(s, 99, 1, 0); /* room again */
  sl_engine_run_for(&e, 0);
  CHECK_INT(o.n, 5);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(held_sink_gets_one_item_at_a_time) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_sink(s, sink, &o, 3);
  o.hold_me = s; /* a consumer still busy after each call */
  for (int i = 0; i < 5; i++)
    push_rec(s, i, 100 - i, 0);
  CHECK_INT(s->lagged, 2);
  sl_engine_run_for(&e, 0);
  CHECK_INT(o.n, 1);    /* one item, then held */
  push_rec(s, 9, 1, 0); /* the buffer has room for one again */
  push_rec(s, 9, 1, 0);
  CHECK_INT(s->lagged, 3);
  sl_engine_run_for(&e, 1000);
  CHECK_INT(o.n, 1);
  for (int k = 2; k <= 4; k++) { /* each release lets exactly one through */
    sl_stream_hold(s, 0);
    sl_engine_run_for(&e, 0);
    CHECK_INT(o.n, k);
  }
  CHECK_DBL(o.first[1], 99, 0);
  CHECK_DBL(o.first[2], 98, 0);
  CHECK_DBL(o.first[3], 1, 0);
  sl_stream_end(s); /* the end waits for the release too */
  sl_engine_run_for(&e, 0);
  CHECK_INT(o.n, 4);
  o.hold_me = NULL;
  sl_stream_hold(s, 0);
  sl_engine_run_for(&e, 0);
  REQUIRE(o.n == 5);
  CHECK_INT(o.kinds[4], SL_ITEM_NONE);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(end_flushes_a_partial_window) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_window(s, 5000000, 100);
  sl_stream_sink(s, sink, &o, 16);
  push_rec(s, 1, 10, 0);
  push_rec(s, 2, 20, 0);
  sl_stream_end(s);
  push_rec(s, 3, 30, 0); /* after the end: ignored */
  sl_engine_run_for(&e, 0);
  REQUIRE(o.n == 2);
  CHECK_INT(o.kinds[0], SL_ITEM_BATCH);
  CHECK_INT(o.sizes[0], 2);
  CHECK_INT(o.kinds[1], SL_ITEM_NONE); /* then the end, once */
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(stream_freed_from_inside_its_sink) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_window(s, 1000000, 2);
  sl_stream_sink(s, sink, &o, 16);
  o.free_me = s;
  for (int i = 0; i < 6; i++)
    push_rec(s, i, i, 0);
  sl_engine_run_for(&e, 2000000);
  CHECK_INT(o.n, 1); /* the rest went with the stream */
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(bad_operator_arguments) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_stream *s = sl_stream_new(&e);
  CHECK_INT(sl_stream_window(s, 0, 5), SL_EINVAL);
  CHECK_INT(sl_stream_window(s, 1000, 0), SL_EINVAL);
  CHECK_INT(sl_stream_aggregate(s, -1, NULL, NULL, NULL), SL_EINVAL);
  CHECK_INT(sl_stream_throttle(s, 0), SL_EINVAL);
  CHECK_INT(sl_stream_filter(s, NULL, NULL, NULL), SL_EINVAL);
  CHECK_INT(sl_stream_sink(s, sink, NULL, 0), SL_EINVAL);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

/* M12: an item pushed at exactly first + seconds *before* the window's timer
 * fires (its timer was armed earlier, so it runs first) must start the next
 * batch, not join the closing one. */
static sl_stream *boundary_stream;
static void push_at_boundary(sl_timer *t) {
  (void)t;
  push_rec(boundary_stream, 2, 60, 0);
}

TEST(window_item_at_the_boundary_before_the_timer_starts_the_next_batch) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_window(s, 1000000, 1000);
  sl_stream_sink(s, sink, &o, 16);
  boundary_stream = s;
  sl_timer t;
  sl_timer_init(&e, &t);
  sl_timer_start(&t, push_at_boundary, 1000000, 0); /* armed first */
  push_rec(s, 1, 50, 0); /* opens the window at 0; its timer is due at 1 s */
  sl_engine_run_for(&e, 3000000);
  REQUIRE(o.n == 2);
  CHECK_INT(o.sizes[0], 1);
  CHECK_INT(o.at[0], 1000000);
  CHECK_INT(o.sizes[1], 1); /* the item at 1.0 opened the second window */
  CHECK_INT(o.at[1], 2000000);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}

/* M11: throttle lets an item through when exactly `seconds` have passed. */
TEST(throttle_lets_an_item_through_exactly_one_period_later) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  out o = {0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_throttle(s, 1000000);
  sl_stream_sink(s, sink, &o, 16);
  feeder f = {.s = s};
  sl_timer_init(&e, &f.t);
  sl_timer_start(&f.t, feed, 500000, 500000); /* 0.5, 1.0, 1.5, 2.0, 2.5 */
  sl_engine_run_for(&e, 2600000);
  REQUIRE(o.n == 3);
  CHECK_INT(o.at[0], 500000);
  CHECK_INT(o.at[1], 1500000);
  CHECK_INT(o.at[2], 2500000);
  sl_timer_stop(&f.t);
  sl_stream_free(s);
  CHECK_INT(sl_engine_close(&e), 0);
}
