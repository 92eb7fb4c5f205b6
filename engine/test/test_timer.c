/* Tests for timers on the virtual and real clocks (engine/rt/timer.c). */
#include "rt/engine.h"
#include "t.h"

typedef struct rec {
  int64_t at[64];
  int tag[64];
  int n;
} rec;

typedef struct tt {
  sl_timer t;
  rec *r;
  int tag;
  int stop_after; /* stop itself on this firing (repeating timers) */
  int fired;
} tt;

static void on_fire(sl_timer *t) {
  tt *x = (tt *)t;
  rec *r = x->r;
  if (r->n < 64) {
    r->at[r->n] = sl_engine_now(t->engine);
    r->tag[r->n] = x->tag;
    r->n++;
  }
  x->fired++;
  if (x->stop_after && x->fired == x->stop_after)
    sl_timer_stop(t);
}

static void tt_init(sl_engine *e, tt *x, rec *r, int tag) {
  memset(x, 0, sizeof(*x));
  sl_timer_init(e, &x->t);
  x->r = r;
  x->tag = tag;
}

TEST(fires_at_exact_due_in_start_order) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  rec r = {0};
  tt a, b, c;
  tt_init(&e, &a, &r, 1);
  tt_init(&e, &b, &r, 2);
  tt_init(&e, &c, &r, 3);
  sl_timer_start(&b.t, on_fire, 5000000, 0);
  sl_timer_start(&a.t, on_fire, 300000, 0);
  sl_timer_start(&c.t, on_fire, 5000000, 0); /* same instant as b: after it */
  sl_engine_run_for(&e, 10000000);
  REQUIRE(r.n == 3);
  CHECK_INT(r.tag[0], 1);
  CHECK_INT(r.at[0], 300000);
  CHECK_INT(r.tag[1], 2);
  CHECK_INT(r.at[1], 5000000);
  CHECK_INT(r.tag[2], 3);
  CHECK_INT(r.at[2], 5000000);
  CHECK_INT(sl_engine_now(&e), 10000000);
  CHECK(!sl_timer_is_active(&a.t));
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(repeat_is_exact_and_first_fires_after_one_period) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  rec r = {0};
  tt a;
  tt_init(&e, &a, &r, 1);
  sl_timer_start(&a.t, on_fire, 100000, 100000);
  sl_engine_run_for(&e, 1000000);
  REQUIRE(r.n == 10);
  for (int i = 0; i < 10; i++)
    CHECK_INT(r.at[i], (i + 1) * 100000);
  CHECK(sl_timer_is_active(&a.t));
  sl_timer_stop(&a.t);
  sl_engine_run_for(&e, 1000000);
  CHECK_INT(r.n, 10);
  CHECK_INT(sl_engine_close(&e), 0);
}

/* A repeating timer keeps its start sequence when it re-arms: at an instant
 * where timers of different periods are due together they fire in start
 * order, however recently each last fired. */
TEST(repeating_timers_keep_start_order_whatever_the_periods) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  rec r = {0};
  tt fast, slow, once;
  tt_init(&e, &fast, &r, 1);
  tt_init(&e, &slow, &r, 2);
  tt_init(&e, &once, &r, 3);
  sl_timer_start(&fast.t, on_fire, 100000, 100000); /* 0.1, 0.2, ... */
  sl_timer_start(&slow.t, on_fire, 500000, 500000); /* 0.5, 1.0 */
  sl_timer_start(&once.t, on_fire, 1000000, 0);     /* 1.0 */
  sl_engine_run_for(&e, 1000000);
  REQUIRE(r.n == 13);
  /* 0.5: fast (re-armed at 0.4) before slow (started after it) */
  CHECK_INT(r.at[4], 500000);
  CHECK_INT(r.tag[4], 1);
  CHECK_INT(r.at[5], 500000);
  CHECK_INT(r.tag[5], 2);
  /* 1.0: fast, slow, once -- their start order */
  for (int i = 0; i < 3; i++) {
    CHECK_INT(r.at[10 + i], 1000000);
    CHECK_INT(r.tag[10 + i], i + 1);
  }
  sl_timer_stop(&fast.t);
  sl_timer_stop(&slow.t);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(cancel_inside_own_callback) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  rec r = {0};
  tt a;
  tt_init(&e, &a, &r, 1);
  a.stop_after = 3;
  sl_timer_start(&a.t, on_fire, 250000, 250000);
  sl_engine_run_for(&e, 5000000);
  CHECK_INT(a.fired, 3);
  CHECK_INT(r.at[2], 750000);
  CHECK(!sl_timer_is_active(&a.t));
  CHECK_INT(sl_engine_close(&e), 0);
}

static void free_self(sl_timer *t) {
  int *count = t->data;
  (*count)++;
  sl_timer_stop(t);
  free(t);
}

TEST(free_inside_own_callback) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  int count = 0;
  for (int i = 0; i < 10; i++) {
    sl_timer *t = malloc(sizeof(*t));
    sl_timer_init(&e, t);
    t->data = &count;
    sl_timer_start(t, free_self, 1000, 1000); /* repeating, freed on fire */
  }
  sl_engine_run_for(&e, 100000);
  CHECK_INT(count, 10);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(stop_and_restart) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  rec r = {0};
  tt a;
  tt_init(&e, &a, &r, 1);
  sl_timer_start(&a.t, on_fire, 1000000, 0);
  sl_timer_stop(&a.t);
  sl_timer_stop(&a.t); /* twice is harmless */
  sl_engine_run_for(&e, 2000000);
  CHECK_INT(r.n, 0);
  sl_timer_start(&a.t, on_fire, 1000000, 0);
  sl_timer_start(&a.t, on_fire, 500000, 0); /* restart re-arms */
  sl_engine_run_for(&e, 2000000);
  REQUIRE(r.n == 1);
  CHECK_INT(r.at[0], 2500000);
  CHECK_INT(sl_timer_start(&a.t, on_fire, -1, 0), SL_EINVAL);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(run_for_stops_at_deadline) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  rec r = {0};
  tt a;
  tt_init(&e, &a, &r, 1);
  sl_timer_start(&a.t, on_fire, 1000000, 0);
  sl_engine_run_for(&e, 999999);
  CHECK_INT(r.n, 0);
  CHECK_INT(sl_engine_now(&e), 999999);
  sl_engine_run_for(&e, 1);
  CHECK_INT(r.n, 1); /* due exactly at the deadline: fires */
  CHECK_INT(r.at[0], 1000000);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct big {
  sl_timer t;
  int64_t *last;
  int *out_of_order;
  int *count;
} big;

static void big_fire(sl_timer *t) {
  big *b = (big *)t;
  if (t->due < *b->last)
    (*b->out_of_order)++;
  *b->last = t->due;
  (*b->count)++;
}

TEST(a_million_pending_timers) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  enum { N = 1000000 };
  big *v = malloc(N * sizeof(*v));
  REQUIRE(v != NULL);
  sl_rng rng;
  sl_rng_seed(&rng, 42);
  int64_t last = 0;
  int out_of_order = 0, count = 0;
  for (int i = 0; i < N; i++) {
    sl_timer_init(&e, &v[i].t);
    v[i].last = &last;
    v[i].out_of_order = &out_of_order;
    v[i].count = &count;
    CHECK_INT(sl_timer_start(&v[i].t, big_fire,
                             (int64_t)sl_rng_below(&rng, 60000000), 0),
              0);
  }
  CHECK_INT(e.timers.len, N);
  /* Cancel every tenth: they must not fire. */
  for (int i = 0; i < N; i += 10)
    sl_timer_stop(&v[i].t);
  sl_engine_run_for(&e, 60000000);
  CHECK_INT(count, N - N / 10);
  CHECK_INT(out_of_order, 0);
  CHECK_INT(e.timers.len, 0);
  free(v);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(real_clock_timer_fires_after_its_delay) {
  sl_engine e;
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  REQUIRE(sl_engine_init(&e, &o) == 0);
  rec r = {0};
  tt a;
  tt_init(&e, &a, &r, 1);
  int64_t start = sl_engine_now(&e);
  sl_timer_start(&a.t, on_fire, 20000, 0);
  sl_engine_run_for(&e, 200000);
  REQUIRE(r.n == 1);
  CHECK(r.at[0] - start >= 20000);
  CHECK(r.at[0] - start < 200000);
  CHECK(sl_engine_now(&e) - start >= 200000);
  CHECK_INT(sl_engine_close(&e), 0);
}
