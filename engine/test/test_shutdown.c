/* Tests for graceful shutdown and closing (sl_engine_shutdown / close). */
#include "rt/ask.h"
#include "t.h"

static int freed;
static void count_free(sl_msg *m) {
  free(m->payload);
  freed++;
}

typedef struct log {
  int order[64];
  int reasons[64];
  int n;
} log_t;

typedef struct node {
  log_t *log;
  int tag;
  sl_timer t;      /* resumes a suspended handler */
  int64_t wait_us; /* > 0: every message suspends for this long */
  sl_id self;
  int handled;
} node;

static void node_resume(sl_timer *t) {
  node *n = t->data;
  n->handled++;
  sl_actor_resume(t->engine, n->self);
}

static int node_handle(sl_actor *self, sl_msg *m) {
  node *n = sl_actor_state(self);
  if (n->wait_us <= 0) {
    n->handled++;
    return 0;
  }
  n->self = sl_actor_id(self);
  sl_timer_init(sl_actor_engine(self), &n->t);
  n->t.data = n;
  sl_timer_start(&n->t, node_resume, n->wait_us, 0);
  return SL_WAIT;
}

static void node_stop(sl_actor *self, int reason) {
  node *n = sl_actor_state(self);
  sl_timer_stop(&n->t); /* abandon the wait, if any */
  n->log->order[n->log->n] = n->tag;
  n->log->reasons[n->log->n] = reason;
  n->log->n++;
}

static const sl_behaviour node_beh = {"node", NULL, node_handle, node_stop};

static sl_id spawn(sl_engine *e, node *n, log_t *log, int tag, uint32_t mb) {
  memset(n, 0, sizeof(*n));
  n->log = log;
  n->tag = tag;
  sl_timer_init(e, &n->t);
  sl_spawn_opts o = {mb, SL_ID_NONE, NULL};
  sl_id id;
  sl_actor_spawn(e, &node_beh, n, &o, &id);
  return id;
}

TEST(stops_in_reverse_spawn_order) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  log_t log = {0};
  node n[5];
  for (int i = 0; i < 5; i++)
    spawn(&e, &n[i], &log, i, 0);
  CHECK_INT(sl_engine_shutdown(&e, 1000000), 0);
  REQUIRE(log.n == 5);
  for (int i = 0; i < 5; i++) {
    CHECK_INT(log.order[i], 4 - i);
    CHECK_INT(log.reasons[i], SL_EXIT_SHUTDOWN);
  }
  CHECK_INT(sl_actor_count(&e), 0);
  sl_id id;
  CHECK_INT(sl_actor_spawn(&e, &node_beh, &n[0], NULL, &id), SL_ECLOSED);
  CHECK_INT(sl_engine_close(&e), 0);
  CHECK_INT(log.n, 5); /* close after shutdown stops nothing twice */
}

TEST(full_mailboxes_are_dropped_and_freed) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  log_t log = {0};
  node n[3];
  sl_id ids[3];
  for (int i = 0; i < 3; i++)
    ids[i] = spawn(&e, &n[i], &log, i, 16);
  int sent = 0;
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 20; k++) {
      sl_msg m;
      memset(&m, 0, sizeof(m));
      m.payload = malloc(32);
      m.free_fn = count_free;
      if (sl_actor_try_send(&e, ids[i], &m) == 0)
        sent++;
    }
  CHECK_INT(sent, 48); /* 16 each; the other 12 were refused and freed */
  CHECK_INT(freed, 12);
  sl_engine_shutdown(&e, 0);
  CHECK_INT(freed, 60);
  for (int i = 0; i < 3; i++)
    CHECK_INT(n[i].handled, 0);
  CHECK_INT(e.mpool.allocated - e.mpool.nfree, 0); /* no chunk still held */
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(suspended_actor_finishes_within_the_deadline) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  log_t log = {0};
  node a, b;
  spawn(&e, &a, &log, 0, 0);
  sl_id idb = spawn(&e, &b, &log, 1, 0);
  b.wait_us = 1000000;
  sl_msg m;
  memset(&m, 0, sizeof(m));
  sl_actor_try_send(&e, idb, &m);
  sl_engine_run_for(&e, 0); /* b is now suspended for 1 s */
  CHECK_INT(sl_engine_shutdown(&e, 3000000), 0);
  CHECK_INT(b.handled, 1); /* it finished its message ... */
  CHECK_INT(sl_engine_now(&e), 1000000); /* ... at 1 s, not at the deadline */
  REQUIRE(log.n == 2);
  CHECK_INT(log.order[0], 1);
  CHECK_INT(log.reasons[0], SL_EXIT_SHUTDOWN);
  CHECK_INT(log.order[1], 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(suspended_actor_is_killed_at_the_deadline) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  log_t log = {0};
  node a;
  sl_id id = spawn(&e, &a, &log, 7, 0);
  a.wait_us = 5000000;
  sl_msg m;
  memset(&m, 0, sizeof(m));
  sl_actor_try_send(&e, id, &m);
  sl_engine_run_for(&e, 0);
  CHECK_INT(sl_engine_shutdown(&e, 500000), SL_ETIMEOUT);
  CHECK_INT(a.handled, 0);
  REQUIRE(log.n == 1);
  CHECK_INT(log.reasons[0], SL_EXIT_KILLED);
  CHECK(!sl_timer_is_active(&a.t));
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(real_clock_close_leaves_no_handle_open) {
  sl_engine e;
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  REQUIRE(sl_engine_init(&e, &o) == 0);
  log_t log = {0};
  node n[4];
  sl_id ids[4];
  for (int i = 0; i < 4; i++)
    ids[i] = spawn(&e, &n[i], &log, i, 0);
  n[2].wait_us = 2000; /* suspended over a real 2 ms timer */
  sl_msg m;
  memset(&m, 0, sizeof(m));
  for (int i = 0; i < 4; i++)
    sl_actor_try_send(&e, ids[i], &m);
  sl_engine_run_for(&e, 0);
  CHECK_INT(sl_engine_shutdown(&e, 1000000), 0);
  CHECK_INT(n[2].handled, 1);
  CHECK_INT(log.n, 4);
  CHECK_INT(sl_engine_close(&e), 0); /* uv_loop_close succeeded */
}

static void noop_timer(sl_timer *t) { (void)t; }

TEST(timer_started_after_shutdown_is_disarmed_by_close) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_engine_shutdown(&e, 0);
  sl_timer t;
  sl_timer_init(&e, &t);
  CHECK_INT(sl_timer_start(&t, noop_timer, 1000, 0), 0);
  CHECK_INT(sl_engine_close(&e), 0);
  CHECK(!sl_timer_is_active(&t));
  CHECK_INT(sl_timer_stop(&t), 0); /* the heap is gone: must not touch it */
}

typedef struct nested {
  int calls, rc;
} nested;

static void nest_on_answer(sl_engine *e, void *ud, int status, sl_msg *r) {
  nested *n = ud;
  n->calls++;
  n->rc = sl_engine_run_for(e, 1000000);
}

static int never_reply(sl_actor *self, sl_msg *m) { return 0; }

TEST(run_for_from_a_callback_during_shutdown_is_refused) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_behaviour b = {"silent", NULL, never_reply, NULL};
  sl_id id;
  sl_actor_spawn(&e, &b, NULL, NULL, &id);
  nested n = {0, 0};
  sl_msg m;
  memset(&m, 0, sizeof(m));
  sl_actor_ask(&e, id, &m, -1, nest_on_answer, &n);
  sl_engine_run_for(&e, 0);
  sl_engine_shutdown(&e, 0); /* fails the ask: its callback runs here */
  CHECK_INT(n.calls, 1);
  CHECK_INT(n.rc, SL_EBUSY);
  CHECK_INT(sl_engine_now(&e), 0); /* the clock did not move */
  CHECK_INT(sl_engine_close(&e), 0);
}

static void count_call(sl_engine *e, void *ud, uintptr_t arg) {
  (*(int *)ud)++;
}

TEST(close_runs_what_other_threads_posted) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  int n = 0;
  sl_engine_post_call(&e, count_call, &n);
  CHECK_INT(sl_engine_close(&e), 0);
  CHECK_INT(n, 1);
}
