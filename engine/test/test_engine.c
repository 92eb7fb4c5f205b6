/* Tests for the engine: clocks, run queue, run_for, posting (engine.c,
 * xpost.c). */
#include "rt/actor.h"
#include "t.h"

typedef struct trace {
  int v[64];
  int n;
  sl_engine *e;
} trace;

static void push_trace(sl_engine *e, void *ud, uintptr_t arg) {
  trace *t = ud;
  t->v[t->n++] = (int)arg;
  if (arg == 1) /* work queued while draining runs after what was queued */
    sl_engine_defer(e, push_trace, t, 9);
}

TEST(deferred_work_runs_fifo) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  trace t = {{0}, 0, &e};
  for (int i = 1; i <= 5; i++)
    sl_engine_defer(&e, push_trace, &t, (uintptr_t)i);
  sl_engine_run_for(&e, 0);
  REQUIRE(t.n == 6);
  int want[] = {1, 2, 3, 4, 5, 9};
  for (int i = 0; i < 6; i++)
    CHECK_INT(t.v[i], want[i]);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct seq {
  uintptr_t next;
  int out_of_order;
} seq;

static void check_seq(sl_engine *e, void *ud, uintptr_t arg) {
  seq *s = ud;
  if (arg != s->next)
    s->out_of_order++;
  s->next++;
}

TEST(run_queue_grows_and_keeps_fifo) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  seq s = {0, 0};
  /* Interleave pushes and partial drains so the ring wraps before it grows. */
  uintptr_t pushed = 0;
  for (int round = 0; round < 50; round++) {
    for (int i = 0; i < 300; i++)
      CHECK_INT(sl_engine_defer(&e, check_seq, &s, pushed++), 0);
    sl__engine_drain(&e, 200);
  }
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.next, pushed);
  CHECK_INT(s.out_of_order, 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

static int reenter_rc;
static int reenter_handle(sl_actor *self, sl_msg *m) {
  reenter_rc = sl_engine_run_for(sl_actor_engine(self), 1000);
  return 0;
}

TEST(run_for_inside_a_handler_is_refused) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_behaviour b = {"re", NULL, reenter_handle, NULL};
  sl_id id;
  sl_actor_spawn(&e, &b, NULL, NULL, &id);
  sl_msg m;
  memset(&m, 0, sizeof(m));
  sl_actor_try_send(&e, id, &m);
  sl_engine_run_for(&e, 0);
  CHECK_INT(reenter_rc, SL_EBUSY);
  CHECK_INT(sl_engine_run_for(&e, -1), SL_EINVAL);
  CHECK_INT(sl_engine_close(&e), 0);
}

static void stop_engine(sl_timer *t) { sl_engine_stop(t->engine); }
static void stop_engine_later(sl_timer *t) { (void)t; }
static void called_once(sl_engine *e, void *ud, uintptr_t arg) {
  (*(int *)ud)++;
}

TEST(stop_returns_early_and_keeps_the_time) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_timer t;
  sl_timer_init(&e, &t);
  sl_timer_start(&t, stop_engine, 2500000, 0);
  sl_engine_run_for(&e, 10000000);
  CHECK_INT(sl_engine_now(&e), 2500000);
  sl_engine_run_for(&e, 1000000);
  CHECK_INT(sl_engine_now(&e), 3500000);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(virtual_run_returns_when_nothing_is_left) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  int n = 0;
  sl_engine_defer(&e, called_once, &n, 0);
  sl_timer t;
  sl_timer_init(&e, &t);
  sl_timer_start(&t, stop_engine_later, 7000000, 0);
  CHECK_INT(sl_engine_run(&e), 0); /* no timers left: returns, not spins */
  CHECK_INT(n, 1);
  CHECK_INT(sl_engine_now(&e), 7000000);
  CHECK_INT(sl_engine_run(&e), 0); /* nothing at all: returns at once */
  CHECK_INT(sl_engine_now(&e), 7000000);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(real_clock_run_for_never_returns_early) {
  sl_engine e;
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  REQUIRE(sl_engine_init(&e, &o) == 0);
  int early = 0;
  for (int i = 0; i < 20; i++) {
    int64_t before = sl_engine_now(&e);
    uint64_t t0 = uv_hrtime();
    sl_engine_run_for(&e, 20300); /* not a whole number of milliseconds */
    if (sl_engine_now(&e) - before < 20300 || uv_hrtime() - t0 < 20300000u)
      early++;
  }
  CHECK_INT(early, 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(virtual_clock_never_sleeps) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  uint64_t t0 = uv_hrtime();
  sl_engine_run_for(&e, 3600LL * 1000000); /* an hour */
  CHECK(uv_hrtime() - t0 < 100000000u);
  CHECK_INT(sl_engine_now(&e), 3600LL * 1000000);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(same_seed_same_numbers) {
  sl_engine a, b, c;
  sl_engine_opts o1 = {SL_CLOCK_VIRTUAL, 7, 0, 0, 1.0};
  sl_engine_opts o2 = {SL_CLOCK_VIRTUAL, 8, 0, 0, 1.0};
  sl_engine_init(&a, &o1);
  sl_engine_init(&b, &o1);
  sl_engine_init(&c, &o2);
  int same = 1, differs = 0;
  for (int i = 0; i < 100; i++) {
    uint64_t x = sl_rng_next(sl_engine_rng(&a));
    if (x != sl_rng_next(sl_engine_rng(&b)))
      same = 0;
    if (x != sl_rng_next(sl_engine_rng(&c)))
      differs = 1;
  }
  CHECK(same);
  CHECK(differs);
  double d = sl_rng_double(sl_engine_rng(&a));
  CHECK(d >= 0.0 && d < 1.0);
  CHECK(sl_rng_below(sl_engine_rng(&a), 10) < 10);
  sl_engine_close(&a);
  sl_engine_close(&b);
  sl_engine_close(&c);
}

/* Cross-thread posting: producers on threads, a counting actor. */
typedef struct counter {
  int64_t sum;
  int64_t count;
  int64_t last_from[4];
  int order_ok;
} counter;

static int count_handle(sl_actor *self, sl_msg *m) {
  counter *c = sl_actor_state(self);
  int p = (int)m->b.i;
  if (m->a.i != c->last_from[p] + 1)
    c->order_ok = 0;
  c->last_from[p] = m->a.i;
  c->sum += m->a.i;
  c->count++;
  return 0;
}

typedef struct producer {
  sl_engine *e;
  sl_id to;
  int index;
  int n;
} producer;

static void produce(void *arg) {
  producer *p = arg;
  for (int i = 1; i <= p->n; i++) {
    sl_msg m;
    memset(&m, 0, sizeof(m));
    m.a.i = i;
    m.b.i = p->index;
    sl_engine_post(p->e, p->to, &m);
  }
}

static void run_posting(sl_clock_kind clock) {
  sl_engine e;
  sl_engine_opts o = {clock, 1, 0, 8, 1.0}; /* small mailbox: posts must wait */
  REQUIRE(sl_engine_init(&e, &o) == 0);
  counter c = {0, 0, {0, 0, 0, 0}, 1};
  sl_behaviour b = {"count", NULL, count_handle, NULL};
  sl_id id;
  sl_actor_spawn(&e, &b, &c, NULL, &id);
  enum { P = 4, N = 20000 };
  producer ps[P];
  uv_thread_t th[P];
  for (int i = 0; i < P; i++) {
    ps[i] = (producer){&e, id, i, N};
    uv_thread_create(&th[i], produce, &ps[i]);
  }
  for (int i = 0; i < P; i++)
    uv_thread_join(&th[i]);
  for (int spins = 0; c.count < P * N && spins < 1000; spins++)
    sl_engine_run_for(&e, 1000);
  CHECK_INT(c.count, P * N);
  CHECK_INT(c.sum, (int64_t)P * N * (N + 1) / 2);
  CHECK(c.order_ok); /* each producer's messages arrive in its order */
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(post_from_threads_virtual) { run_posting(SL_CLOCK_VIRTUAL); }
TEST(post_from_threads_real) { run_posting(SL_CLOCK_REAL); }

static void called(sl_engine *e, void *ud, uintptr_t arg) { (*(int *)ud)++; }

TEST(post_call_runs_on_the_engine) {
  sl_engine e;
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  REQUIRE(sl_engine_init(&e, &o) == 0);
  int n = 0;
  sl_engine_post_call(&e, called, &n);
  CHECK_INT(n, 0);
  sl_engine_run_for(&e, 1000);
  CHECK_INT(n, 1);
  CHECK_INT(sl_engine_close(&e), 0);
}

static void slow_tick(sl_timer *t) {
  int *n = t->data;
  (*n)++;
  uint64_t until = uv_hrtime() + 3000000; /* 3 ms of work, every 1 ms */
  while (uv_hrtime() < until)
    ;
}

TEST(real_clock_behind_schedule_still_returns_at_the_deadline) {
  sl_engine e;
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  REQUIRE(sl_engine_init(&e, &o) == 0);
  sl_timer t;
  sl_timer_init(&e, &t);
  int n = 0;
  t.data = &n;
  sl_timer_start(&t, slow_tick, 1000, 1000);
  uint64_t t0 = uv_hrtime();
  sl_engine_run_for(&e, 200000);
  uint64_t took = uv_hrtime() - t0;
  CHECK(took < 1000000000u); /* it used to spin in libuv's timer loop forever */
  /* ~60 ticks fit in 200 ms; a loaded machine (tests run in parallel, the
   * sanitizers) runs fewer, but they keep coming.  (Over 50 ms, valgrind
   * on two busy cores ran 1 to 3: the run is long enough to tell "they keep
   * coming" from "the machine was busy".) */
  CHECK(n >= 4);
  sl_timer_stop(&t);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(real_clock_at_speed_runs_engine_time_faster_than_wall_time) {
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 20.0};
  sl_engine e;
  REQUIRE(sl_engine_init(&e, &o) == 0);
  uint64_t w0 = uv_hrtime();
  sl_engine_run_for(&e, 2000000); /* 2 engine seconds */
  double wall = (double)(uv_hrtime() - w0) / 1e9;
  CHECK(sl_engine_now(&e) >= 2000000);
  /* ~0.1 s of wall time at 20x (2 s at 1x; generous for valgrind) */
  CHECK(wall >= 0.09 && wall < 1.5);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct pause_probe {
  uv_timer_t t;
  sl_engine *e;
  int64_t seen; /* engine time while paused */
} pause_probe;

static void resume_cb(uv_timer_t *t) {
  pause_probe *p = t->data;
  p->seen = sl_engine_now(p->e);
  sl_engine_set_speed(p->e, 10.0);
  uv_close((uv_handle_t *)t, NULL);
}

TEST(set_speed_pauses_and_resumes_the_real_clock) {
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  sl_engine e;
  REQUIRE(sl_engine_init(&e, &o) == 0);
  CHECK_INT(sl_engine_set_speed(&e, -1), SL_EINVAL);
  CHECK_INT(sl_engine_set_speed(&e, 0), 0);
  int64_t paused_at = sl_engine_now(&e);
  pause_probe p = {.e = &e};
  uv_timer_init(&e.loop, &p.t);
  p.t.data = &p;
  /* The loop's cached time dates from sl_engine_init: refresh it, or under
   * valgrind (slow to get here) the 50 ms would count from long ago. */
  uint64_t w0 = uv_hrtime();
  uv_update_time(&e.loop);
  uv_timer_start(&p.t, resume_cb, 50, 0); /* wall ms */
  sl_engine_run_for(&e, 1000000); /* 1 engine second: paused, then 10x */
  double wall = (double)(uv_hrtime() - w0) / 1e9;
  CHECK_INT(p.seen, paused_at); /* nothing moved while paused */
  CHECK(sl_engine_now(&e) >= paused_at + 1000000);
  /* 50 ms paused + ~100 ms at 10x; no upper bound here (valgrind is slow;
   * the speed-up itself is the test above) */
  CHECK(wall >= 0.14);
  CHECK_INT(sl_engine_close(&e), 0);

  sl_engine v;
  sl_engine_init(&v, NULL);
  CHECK_INT(sl_engine_set_speed(&v, 2), SL_EINVAL); /* virtual: no speed */
  CHECK_INT(sl_engine_close(&v), 0);
}

/* --- a busy actor on the real clock (issue 10, item 14) ------------------- */

static int spin_handle(sl_actor *self, sl_msg *m) {
  /* ~2 µs of work, then the same message to itself again: forever */
  uint64_t until = uv_hrtime() + 2000;
  while (uv_hrtime() < until)
    ;
  sl_actor_try_send(sl_actor_engine(self), sl_actor_id(self), m);
  return 0;
}

static void count_tick(sl_timer *t) {
  (*(int *)t->data)++;
}

TEST(real_clock_busy_actor_does_not_starve_timers) {
  /* An actor that keeps messaging itself has work at every turn; the loop
   * must still get back to its timers.  A 10 ms timer over 300 ms fires
   * ~30 times; it fired once or not at all while each idle pass drained
   * 4096 turns of 64 messages (half a second of this actor's work). */
  sl_engine e;
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  REQUIRE(sl_engine_init(&e, &o) == 0);
  static const sl_behaviour spin = {"spin", NULL, spin_handle, NULL};
  sl_id a;
  REQUIRE(sl_actor_spawn(&e, &spin, NULL, NULL, &a) == 0);
  sl_msg m;
  memset(&m, 0, sizeof(m));
  sl_actor_try_send(&e, a, &m);
  sl_timer t;
  sl_timer_init(&e, &t);
  int n = 0;
  t.data = &n;
  sl_timer_start(&t, count_tick, 10000, 10000);
  sl_engine_run_for(&e, 300000);
  CHECK(n >= 10); /* generous: valgrind and parallel tests slow the loop */
  CHECK(sl_actor_alive(&e, a)); /* no livelock rule on the real clock */
  CHECK_INT(e.livelocks, 0);
  sl_timer_stop(&t);
  CHECK_INT(sl_engine_close(&e), 0);
}
