/* Tests for monitors, graceful stops and supervisors (rt/monitor.c,
 * rt/supervisor.c). */
#include "rt/supervisor.h"
#include "t.h"

enum { M_CRASH = 1, M_EXIT, M_SLEEP, M_PING };

/* What happened, in order: "start a", "stop b:1", "restarted b:-9"... */
typedef struct journal {
  char lines[64][48];
  int n;
} journal;

static void note(journal *j, const char *fmt, const char *name, int v) {
  if (j->n < 64)
    snprintf(j->lines[j->n++], 48, fmt, name, v);
}

typedef struct worker {
  journal *j;
  const char *tag;
  sl_timer t;
  sl_id self;
  int pings;
} worker;

static void worker_wake(sl_timer *t) {
  worker *w = t->data;
  sl_actor_resume(t->engine, w->self);
}

static int worker_handle(sl_actor *self, sl_msg *m) {
  worker *w = sl_actor_state(self);
  switch (m->type) {
  case M_CRASH:
    sl_actor_set_exit_message(self, "worker broke");
    return SL_ECRASHED;
  case M_EXIT:
    sl_actor_stop(sl_actor_engine(self), sl_actor_id(self), SL_EXIT_NORMAL);
    return 0;
  case M_SLEEP:
    w->self = sl_actor_id(self);
    sl_timer_start(&w->t, worker_wake, m->a.i, 0);
    return SL_WAIT;
  default:
    w->pings++;
    return 0;
  }
}

static void worker_stop(sl_actor *self, int reason) {
  worker *w = sl_actor_state(self);
  sl_timer_stop(&w->t);
  note(w->j, "stop %s:%d", w->tag, reason);
  free(w);
}

static const sl_behaviour worker_beh = {"worker", NULL, worker_handle,
                                        worker_stop};

typedef struct start_ctx {
  journal *j;
  const char *tag;
  int fail; /* the next `fail` starts fail */
} start_ctx;

static int start_worker(sl_engine *e, void *ud, sl_id sup, sl_id *out) {
  start_ctx *c = ud;
  if (c->fail > 0) {
    c->fail--;
    note(c->j, "failstart %s%.0d", c->tag, 0);
    return SL_EINVAL;
  }
  worker *w = calloc(1, sizeof(*w));
  w->j = c->j;
  w->tag = c->tag;
  sl_timer_init(e, &w->t);
  w->t.data = w;
  sl_spawn_opts o = {0, sup, NULL};
  int rc = sl_actor_spawn(e, &worker_beh, w, &o, out);
  if (rc != 0)
    free(w);
  else
    note(c->j, "start %s%.0d", c->tag, 0);
  return rc;
}

static void on_restarted(void *ud, const char *child, int reason,
                         const char *msg) {
  note(ud, "restarted %s:%d", child, reason);
}

static void on_stopped(void *ud, const char *name) {
  note(ud, "gaveup %s%.0d", name, 0);
}

static int has_line(journal *j, const char *line) {
  for (int i = 0; i < j->n; i++)
    if (strcmp(j->lines[i], line) == 0)
      return 1;
  return 0;
}

static int index_of(journal *j, const char *line) {
  for (int i = 0; i < j->n; i++)
    if (strcmp(j->lines[i], line) == 0)
      return i;
  return -1;
}

static void send_type(sl_engine *e, sl_id to, uint32_t type, int64_t a) {
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.type = type;
  m.a.i = a;
  sl_actor_try_send(e, to, &m);
}

/* Three children a, b, c with the given strategy and restart type. */
typedef struct fixture {
  sl_engine e;
  journal j;
  start_ctx ctx[3];
  sl_child_spec kids[3];
  sl_id sup;
} fixture;

static int setup(fixture *f, int strategy, int restart, int intensity,
                 int64_t period_us) {
  memset(f, 0, sizeof(*f));
  sl_engine_init(&f->e, NULL);
  static const char *tags[3] = {"a", "b", "c"};
  for (int i = 0; i < 3; i++) {
    f->ctx[i] = (start_ctx){&f->j, tags[i], 0};
    f->kids[i] = (sl_child_spec){tags[i], start_worker, &f->ctx[i], restart, 0};
  }
  sl_sup_spec spec = {"sup", strategy, intensity, period_us, f->kids, 3,
                      {on_restarted, on_stopped, NULL, NULL, &f->j}};
  return sl_supervisor_start(&f->e, &spec, SL_ID_NONE, &f->sup);
}

/* --- monitors ------------------------------------------------------------ */

typedef struct downs {
  int n, reason;
  sl_id target;
  char msg[64];
} downs;

static int watcher_handle(sl_actor *self, sl_msg *m) {
  downs *d = sl_actor_state(self);
  if (m->type == SL_MSG_DOWN) {
    d->n++;
    d->reason = (int)m->a.i;
    d->target = m->from;
    snprintf(d->msg, sizeof(d->msg), "%s", m->payload ? (char *)m->payload : "");
  }
  return 0;
}

static void down_cb(sl_engine *e, void *ud, sl_id target, int reason,
                    const char *msg) {
  downs *d = ud;
  d->n++;
  d->reason = reason;
  d->target = target;
  snprintf(d->msg, sizeof(d->msg), "%s", msg ? msg : "");
}

TEST(monitor_delivers_reason_and_message) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  journal j = {0};
  start_ctx c = {&j, "w", 0};
  sl_id w;
  start_worker(&e, &c, SL_ID_NONE, &w);
  downs d = {0}, dcb = {0};
  sl_behaviour wb = {"watcher", NULL, watcher_handle, NULL};
  sl_id watcher;
  sl_actor_spawn(&e, &wb, &d, NULL, &watcher);
  uint64_t m1, m2;
  CHECK_INT(sl_actor_monitor(&e, w, watcher, &m1), 0);
  CHECK_INT(sl_actor_monitor_cb(&e, w, down_cb, &dcb, &m2), 0);
  send_type(&e, w, M_CRASH, 0);
  sl_engine_run_for(&e, 0);
  CHECK_INT(d.n, 1);
  CHECK_INT(d.reason, SL_ECRASHED);
  CHECK(d.target == w);
  CHECK_STR(d.msg, "worker broke");
  CHECK_INT(dcb.n, 1);
  CHECK_STR(dcb.msg, "worker broke");
  CHECK_INT(e.monitors.live, 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(demonitor_and_monitoring_the_dead) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  journal j = {0};
  start_ctx c = {&j, "w", 0};
  sl_id w;
  start_worker(&e, &c, SL_ID_NONE, &w);
  downs d = {0};
  uint64_t mon;
  sl_actor_monitor_cb(&e, w, down_cb, &d, &mon);
  CHECK_INT(sl_actor_demonitor(&e, mon), 0);
  CHECK_INT(sl_actor_demonitor(&e, mon), SL_ENOTFOUND);
  sl_actor_stop(&e, w, SL_EXIT_NORMAL);
  sl_engine_run_for(&e, 0);
  CHECK_INT(d.n, 0);
  CHECK_INT(sl_actor_monitor_cb(&e, w, down_cb, &d, &mon), 0);
  sl_engine_run_for(&e, 0);
  CHECK_INT(d.n, 1); /* already gone: told at once */
  CHECK_INT(d.reason, SL_ESTOPPED);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(graceful_stop_lets_a_busy_actor_finish_or_kills_it) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  journal j = {0};
  start_ctx c1 = {&j, "quick", 0}, c2 = {&j, "slow", 0};
  sl_id quick, slow;
  start_worker(&e, &c1, SL_ID_NONE, &quick);
  start_worker(&e, &c2, SL_ID_NONE, &slow);
  send_type(&e, quick, M_SLEEP, 1000000);
  send_type(&e, slow, M_SLEEP, 9000000);
  sl_engine_run_for(&e, 0);
  CHECK_INT(sl_actor_shutdown(&e, quick, 2000000), SL_WAIT);
  CHECK_INT(sl_actor_shutdown(&e, slow, 2000000), SL_WAIT);
  sl_engine_run_for(&e, 5000000);
  CHECK(has_line(&j, "stop quick:1")); /* finished, then shutdown */
  CHECK(has_line(&j, "stop slow:2"));  /* killed at 2 s */
  CHECK_INT(sl_actor_count(&e), 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

/* --- strategies ---------------------------------------------------------- */

TEST(one_for_one_restarts_only_the_crashed_child) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_PERMANENT, 3, 5000000) == 0);
  sl_id a = sl_supervisor_child(&f.e, f.sup, "a");
  sl_id b = sl_supervisor_child(&f.e, f.sup, "b");
  sl_id c = sl_supervisor_child(&f.e, f.sup, "c");
  CHECK(a && b && c);
  send_type(&f.e, b, M_CRASH, 0);
  sl_engine_run_for(&f.e, 0);
  sl_id b2 = sl_supervisor_child(&f.e, f.sup, "b");
  CHECK(b2 != SL_ID_NONE && b2 != b);
  CHECK(sl_supervisor_child(&f.e, f.sup, "a") == a);
  CHECK(sl_supervisor_child(&f.e, f.sup, "c") == c);
  CHECK(has_line(&f.j, "restarted b:-9"));
  CHECK(!has_line(&f.j, "stop a:1"));
  CHECK(sl_supervisor_child(&f.e, f.sup, "nobody") == SL_ID_NONE);
  CHECK_INT(sl_engine_close(&f.e), 0);
}

TEST(one_for_all_restarts_everyone_in_order) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ALL, SL_PERMANENT, 3, 5000000) == 0);
  sl_id a = sl_supervisor_child(&f.e, f.sup, "a");
  sl_id b = sl_supervisor_child(&f.e, f.sup, "b");
  f.j.n = 0;
  send_type(&f.e, b, M_CRASH, 0);
  sl_engine_run_for(&f.e, 0);
  /* b crashed; c then a stopped (reverse order); a, b, c started. */
  REQUIRE(f.j.n >= 6);
  CHECK_STR(f.j.lines[0], "stop b:-9");
  CHECK_STR(f.j.lines[1], "stop c:1");
  CHECK_STR(f.j.lines[2], "stop a:1");
  CHECK_STR(f.j.lines[3], "start a");
  CHECK_STR(f.j.lines[5], "start b");
  CHECK(index_of(&f.j, "start c") > index_of(&f.j, "start b"));
  CHECK(has_line(&f.j, "restarted a:1"));
  CHECK(has_line(&f.j, "restarted b:-9"));
  CHECK(sl_supervisor_child(&f.e, f.sup, "a") != a);
  CHECK_INT(sl_engine_close(&f.e), 0);
}

TEST(rest_for_one_restarts_the_child_and_those_after_it) {
  fixture f;
  REQUIRE(setup(&f, SL_REST_FOR_ONE, SL_PERMANENT, 3, 5000000) == 0);
  sl_id a = sl_supervisor_child(&f.e, f.sup, "a");
  sl_id b = sl_supervisor_child(&f.e, f.sup, "b");
  sl_id c = sl_supervisor_child(&f.e, f.sup, "c");
  f.j.n = 0;
  send_type(&f.e, b, M_CRASH, 0);
  sl_engine_run_for(&f.e, 0);
  CHECK(sl_supervisor_child(&f.e, f.sup, "a") == a);
  CHECK(sl_supervisor_child(&f.e, f.sup, "b") != b);
  CHECK(sl_supervisor_child(&f.e, f.sup, "c") != c);
  CHECK(has_line(&f.j, "stop c:1"));
  CHECK(!has_line(&f.j, "stop a:1"));
  CHECK(index_of(&f.j, "start b") < index_of(&f.j, "start c"));
  CHECK_INT(sl_engine_close(&f.e), 0);
}

/* --- restart types ------------------------------------------------------- */

TEST(transient_children_restart_only_after_a_crash) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_TRANSIENT, 3, 5000000) == 0);
  sl_id a = sl_supervisor_child(&f.e, f.sup, "a");
  sl_id b = sl_supervisor_child(&f.e, f.sup, "b");
  send_type(&f.e, a, M_EXIT, 0); /* normal exit: stays down */
  send_type(&f.e, b, M_CRASH, 0);
  sl_engine_run_for(&f.e, 0);
  CHECK(sl_supervisor_child(&f.e, f.sup, "a") == SL_ID_NONE);
  sl_id b2 = sl_supervisor_child(&f.e, f.sup, "b");
  CHECK(b2 != SL_ID_NONE && b2 != b);
  CHECK(!has_line(&f.j, "restarted a:0"));
  CHECK_INT(sl_engine_close(&f.e), 0);
}

TEST(temporary_children_are_never_restarted) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_TEMPORARY, 3, 5000000) == 0);
  sl_id b = sl_supervisor_child(&f.e, f.sup, "b");
  send_type(&f.e, b, M_CRASH, 0);
  sl_engine_run_for(&f.e, 0);
  CHECK(sl_supervisor_child(&f.e, f.sup, "b") == SL_ID_NONE);
  CHECK(!has_line(&f.j, "restarted b:-9"));
  CHECK(sl_actor_alive(&f.e, f.sup));
  CHECK_INT(sl_engine_close(&f.e), 0);
}

TEST(permanent_children_restart_even_after_a_normal_exit) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_PERMANENT, 3, 5000000) == 0);
  sl_id a = sl_supervisor_child(&f.e, f.sup, "a");
  send_type(&f.e, a, M_EXIT, 0);
  sl_engine_run_for(&f.e, 0);
  CHECK(sl_supervisor_child(&f.e, f.sup, "a") != SL_ID_NONE);
  CHECK(has_line(&f.j, "restarted a:0"));
  CHECK_INT(sl_engine_close(&f.e), 0);
}

/* --- intensity and escalation ------------------------------------------- */

static void crash_b(sl_timer *t) {
  fixture *f = t->data;
  send_type(&f->e, sl_supervisor_child(&f->e, f->sup, "b"), M_CRASH, 0);
}

TEST(more_than_intensity_restarts_in_period_gives_up) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_PERMANENT, 3, 5000000) == 0);
  downs d = {0};
  uint64_t mon;
  sl_actor_monitor_cb(&f.e, f.sup, down_cb, &d, &mon);
  sl_timer t;
  sl_timer_init(&f.e, &t);
  t.data = &f;
  sl_timer_start(&t, crash_b, 1000000, 1000000); /* a crash every second */
  sl_engine_run_for(&f.e, 3500000);
  CHECK(sl_actor_alive(&f.e, f.sup)); /* 3 restarts: within intensity */
  sl_engine_run_for(&f.e, 1000000);   /* the 4th within 5 s */
  sl_timer_stop(&t);
  CHECK(!sl_actor_alive(&f.e, f.sup));
  CHECK(has_line(&f.j, "gaveup sup"));
  CHECK(has_line(&f.j, "stop c:1"));
  CHECK(has_line(&f.j, "stop a:1"));
  CHECK(index_of(&f.j, "stop c:1") < index_of(&f.j, "stop a:1"));
  CHECK_INT(d.n, 1);
  CHECK_INT(d.reason, SL_ECRASHED); /* abnormal: escalates */
  CHECK_STR(d.msg, "reached max restart intensity");
  CHECK_INT(sl_actor_count(&f.e), 0);
  CHECK_INT(sl_engine_close(&f.e), 0);
}

TEST(slow_crashes_stay_within_intensity) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_PERMANENT, 3, 5000000) == 0);
  sl_timer t;
  sl_timer_init(&f.e, &t);
  t.data = &f;
  sl_timer_start(&t, crash_b, 2000000, 2000000); /* one every 2 s */
  sl_engine_run_for(&f.e, 20500000);              /* ten crashes */
  sl_timer_stop(&t);
  CHECK(sl_actor_alive(&f.e, f.sup));
  int restarts = 0;
  for (int i = 0; i < f.j.n; i++)
    if (strcmp(f.j.lines[i], "restarted b:-9") == 0)
      restarts++;
  CHECK_INT(restarts, 10);
  CHECK_INT(sl_engine_close(&f.e), 0);
}

/* A supervisor as a child of another: give up, be restarted by the root. */
typedef struct nested {
  journal *j;
  start_ctx worker;
  sl_child_spec kid;
} nested;

static int start_inner(sl_engine *e, void *ud, sl_id parent, sl_id *out) {
  nested *n = ud;
  sl_sup_spec spec = {"inner", SL_ONE_FOR_ONE, 1, 5000000, &n->kid, 1,
                      {on_restarted, on_stopped, NULL, NULL, n->j}};
  note(n->j, "start %s%.0d", "inner", 0);
  return sl_supervisor_start(e, &spec, parent, out);
}

TEST(nested_supervisor_escalates_to_its_parent) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  journal j = {0};
  nested n = {&j, {&j, "w", 0}, {0}};
  n.kid = (sl_child_spec){"w", start_worker, &n.worker, SL_PERMANENT, 0};
  sl_child_spec inner = {"inner", start_inner, &n, SL_PERMANENT, 0};
  sl_sup_spec root_spec = {"root", SL_ONE_FOR_ONE, 3, 5000000, &inner, 1,
                           {on_restarted, on_stopped, NULL, NULL, &j}};
  sl_id root;
  REQUIRE(sl_supervisor_start(&e, &root_spec, SL_ID_NONE, &root) == 0);
  sl_id in1 = sl_supervisor_child(&e, root, "inner");
  REQUIRE(in1 != SL_ID_NONE);
  /* Two crashes of the worker: the inner supervisor allows one restart. */
  send_type(&e, sl_supervisor_child(&e, in1, "w"), M_CRASH, 0);
  sl_engine_run_for(&e, 0);
  send_type(&e, sl_supervisor_child(&e, in1, "w"), M_CRASH, 0);
  sl_engine_run_for(&e, 0);
  CHECK(!sl_actor_alive(&e, in1));
  CHECK(has_line(&j, "gaveup inner"));
  CHECK(has_line(&j, "restarted inner:-9"));
  sl_id in2 = sl_supervisor_child(&e, root, "inner");
  CHECK(in2 != SL_ID_NONE && in2 != in1);
  CHECK(sl_supervisor_child(&e, in2, "w") != SL_ID_NONE);
  CHECK(sl_actor_alive(&e, root));
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(restart_waits_for_a_busy_sibling_up_to_its_shutdown_time) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ALL, SL_PERMANENT, 3, 5000000) == 0);
  f.kids[0].shutdown_us = 0; /* (the copy in the supervisor has 5 s) */
  sl_id a = sl_supervisor_child(&f.e, f.sup, "a");
  sl_id b = sl_supervisor_child(&f.e, f.sup, "b");
  send_type(&f.e, a, M_SLEEP, 1500000); /* busy for 1.5 s */
  sl_engine_run_for(&f.e, 0);
  f.j.n = 0;
  send_type(&f.e, b, M_CRASH, 0);
  sl_engine_run_for(&f.e, 1000000);
  CHECK(!has_line(&f.j, "start b")); /* waiting for a to finish */
  sl_engine_run_for(&f.e, 1000000);
  CHECK(has_line(&f.j, "stop a:1")); /* finished at 1.5 s, not killed */
  CHECK(has_line(&f.j, "start b"));
  CHECK_INT(sl_engine_close(&f.e), 0);
}

TEST(a_failing_start_fails_the_supervisor_start) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  journal j = {0};
  start_ctx ok1 = {&j, "a", 0}, bad = {&j, "b", 1};
  sl_child_spec kids[2] = {{"a", start_worker, &ok1, SL_PERMANENT, 0},
                           {"b", start_worker, &bad, SL_PERMANENT, 0}};
  sl_sup_spec spec = {"sup", SL_ONE_FOR_ONE, 3, 5000000, kids, 2,
                      {NULL, NULL, NULL, NULL, NULL}};
  sl_id sup;
  CHECK_INT(sl_supervisor_start(&e, &spec, SL_ID_NONE, &sup), SL_EINVAL);
  CHECK(sup == SL_ID_NONE);
  CHECK(has_line(&j, "stop a:1")); /* the started one was stopped */
  CHECK_INT(sl_actor_count(&e), 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(a_failing_restart_is_retried_within_intensity) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_PERMANENT, 3, 5000000) == 0);
  f.ctx[1].fail = 2; /* the next two starts of b fail */
  send_type(&f.e, sl_supervisor_child(&f.e, f.sup, "b"), M_CRASH, 0);
  sl_engine_run_for(&f.e, 0);
  CHECK(sl_supervisor_child(&f.e, f.sup, "b") != SL_ID_NONE);
  CHECK(sl_actor_alive(&f.e, f.sup));
  CHECK(has_line(&f.j, "failstart b"));
  CHECK_INT(sl_engine_close(&f.e), 0);
}

TEST(nothing_restarts_while_the_engine_shuts_down) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ALL, SL_PERMANENT, 3, 5000000) == 0);
  f.j.n = 0;
  sl_engine_shutdown(&f.e, 1000000);
  CHECK(!has_line(&f.j, "start a"));
  CHECK_INT(sl_actor_count(&f.e), 0);
  CHECK_INT(sl_engine_close(&f.e), 0);
}


/* M16: a transient child that stops with reason shutdown is not restarted. */
TEST(transient_child_stopped_with_shutdown_is_not_restarted) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_TRANSIENT, 3, 5000000) == 0);
  sl_id b = sl_supervisor_child(&f.e, f.sup, "b");
  sl_actor_stop(&f.e, b, SL_EXIT_SHUTDOWN);
  sl_engine_run_for(&f.e, 1000000);
  CHECK_INT(index_of(&f.j, "restarted b:2"), -1);
  CHECK(sl_supervisor_child(&f.e, f.sup, "b") == SL_ID_NONE);
  CHECK(sl_actor_alive(&f.e, f.sup));
  CHECK_INT(sl_engine_close(&f.e), 0);
}

/* M19: a graceful stop with no time left kills a suspended actor at once. */
TEST(shutdown_with_zero_timeout_kills_a_busy_actor_now) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  journal j = {0};
  start_ctx c = {&j, "busy", 0};
  sl_id id;
  start_worker(&e, &c, SL_ID_NONE, &id);
  send_type(&e, id, M_SLEEP, 9000000);
  sl_engine_run_for(&e, 0); /* now suspended in its handler */
  CHECK_INT(sl_actor_shutdown(&e, id, 0), 0);
  CHECK(!sl_actor_alive(&e, id));
  CHECK(has_line(&j, "stop busy:2")); /* SL_EXIT_KILLED */
  CHECK_INT(sl_engine_close(&e), 0);
}

/* Intensity counts as OTP does: a restart exactly `period` ago is still
 * recent.  Intensity 1, period 2 s, crashes at t = 1 and t = 3: the second
 * restart would be the second within the period, so it gives up. */
static void crash_b_once(sl_timer *t) {
  fixture *f = t->data;
  send_type(&f->e, sl_supervisor_child(&f->e, f->sup, "b"), M_CRASH, 0);
}

TEST(a_restart_exactly_one_period_old_still_counts) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ONE, SL_PERMANENT, 1, 2000000) == 0);
  sl_timer t1, t2;
  sl_timer_init(&f.e, &t1);
  sl_timer_init(&f.e, &t2);
  t1.data = t2.data = &f;
  sl_timer_start(&t1, crash_b_once, 1000000, 0);
  sl_timer_start(&t2, crash_b_once, 3000000, 0);
  sl_engine_run_for(&f.e, 2999999);
  CHECK(sl_actor_alive(&f.e, f.sup));
  sl_engine_run_for(&f.e, 1000001);
  CHECK(!sl_actor_alive(&f.e, f.sup));
  CHECK(has_line(&f.j, "gaveup sup"));
  CHECK_INT(sl_engine_close(&f.e), 0);
}

/* one_for_all restarts every sibling in range, including one that was down
 * (a transient child that had exited normally), as OTP does. */
TEST(one_for_all_restarts_a_sibling_that_was_down) {
  fixture f;
  REQUIRE(setup(&f, SL_ONE_FOR_ALL, SL_TRANSIENT, 3, 5000000) == 0);
  send_type(&f.e, sl_supervisor_child(&f.e, f.sup, "a"), M_EXIT, 0);
  sl_engine_run_for(&f.e, 0);
  CHECK(sl_supervisor_child(&f.e, f.sup, "a") == SL_ID_NONE);
  send_type(&f.e, sl_supervisor_child(&f.e, f.sup, "b"), M_CRASH, 0);
  sl_engine_run_for(&f.e, 0);
  CHECK(sl_supervisor_child(&f.e, f.sup, "a") != SL_ID_NONE);
  CHECK(sl_supervisor_child(&f.e, f.sup, "b") != SL_ID_NONE);
  CHECK(sl_supervisor_child(&f.e, f.sup, "c") != SL_ID_NONE);
  CHECK_INT(sl_engine_close(&f.e), 0);
}
