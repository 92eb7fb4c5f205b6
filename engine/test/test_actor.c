/* Tests for actors: spawn, send, turns, suspension, stop (rt/actor.c). */
#include "rt/actor.h"
#include "t.h"

static int freed; /* payloads freed, across a case */

static void count_free(sl_msg *m) {
  free(m->payload);
  freed++;
}

static sl_msg msg_with_payload(int v) {
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.type = 1;
  m.a.i = v;
  m.payload = malloc(16);
  m.free_fn = count_free;
  return m;
}

static sl_msg msg(int v) {
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.type = 1;
  m.a.i = v;
  return m;
}

typedef struct st {
  int started, stopped, stop_reason;
  int got[256];
  int n;
  int stop_on;    /* stop self when this value arrives (0: never) */
  int wait_on;    /* return SL_WAIT for this value */
  int crash_on;   /* return an error for this value */
  int resend;     /* send each message back to itself */
  int fail_start; /* on_start returns this */
} st;

static int st_start(sl_actor *self, void *arg) {
  st *s = sl_actor_state(self);
  s->started++;
  return s->fail_start;
}

static int st_handle(sl_actor *self, sl_msg *m) {
  st *s = sl_actor_state(self);
  if (s->n < 256)
    s->got[s->n] = (int)m->a.i;
  s->n++;
  if (s->stop_on && m->a.i == s->stop_on)
    sl_actor_stop(sl_actor_engine(self), sl_actor_id(self), SL_EXIT_NORMAL);
  if (s->resend) {
    sl_msg again = msg((int)m->a.i + 1);
    sl_actor_try_send(sl_actor_engine(self), sl_actor_id(self), &again);
  }
  if (s->wait_on && m->a.i == s->wait_on)
    return SL_WAIT;
  if (s->crash_on && m->a.i == s->crash_on)
    return SL_ECRASHED;
  return 0;
}

static void st_stop(sl_actor *self, int reason) {
  st *s = sl_actor_state(self);
  s->stopped++;
  s->stop_reason = reason;
}

static const sl_behaviour beh = {"st", st_start, st_handle, st_stop};

static sl_id spawn(sl_engine *e, st *s, uint32_t mailbox) {
  sl_spawn_opts o = {mailbox, SL_ID_NONE, NULL};
  sl_id id;
  int rc = sl_actor_spawn(e, &beh, s, &o, &id);
  return rc == 0 ? id : SL_ID_NONE;
}

TEST(spawn_runs_on_start_and_delivers_in_order) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  st s = {0};
  sl_id id = spawn(&e, &s, 0);
  REQUIRE(id != SL_ID_NONE);
  CHECK_INT(s.started, 1);
  CHECK(sl_actor_alive(&e, id));
  for (int i = 1; i <= 10; i++) {
    sl_msg m = msg(i);
    CHECK_INT(sl_actor_try_send(&e, id, &m), 0);
  }
  CHECK_INT(s.n, 0); /* nothing runs until the engine does */
  sl_engine_run_for(&e, 0);
  REQUIRE(s.n == 10);
  for (int i = 0; i < 10; i++)
    CHECK_INT(s.got[i], i + 1);
  CHECK_INT(e.msgs_sent, 10);
  CHECK_INT(e.msgs_received, 10);
  CHECK_INT(sl_engine_close(&e), 0);
  CHECK_INT(s.stopped, 1);
  CHECK_INT(s.stop_reason, SL_EXIT_SHUTDOWN);
}

TEST(failed_on_start_means_no_actor_and_no_on_stop) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  st s = {0};
  s.fail_start = SL_EINVAL;
  sl_id id;
  CHECK_INT(sl_actor_spawn(&e, &beh, &s, NULL, &id), SL_EINVAL);
  CHECK(id == SL_ID_NONE);
  CHECK_INT(s.started, 1);
  CHECK_INT(s.stopped, 0);
  CHECK_INT(sl_actor_count(&e), 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(spawn_without_handler_is_invalid) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_behaviour none = {"none", NULL, NULL, NULL};
  sl_id id;
  CHECK_INT(sl_actor_spawn(&e, &none, NULL, NULL, &id), SL_EINVAL);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(stop_from_outside_frees_mail_and_runs_on_stop_once) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  st s = {0};
  sl_id id = spawn(&e, &s, 0);
  for (int i = 0; i < 5; i++) {
    sl_msg m = msg_with_payload(i);
    sl_actor_try_send(&e, id, &m);
  }
  CHECK_INT(sl_actor_stop(&e, id, SL_EXIT_NORMAL), 0);
  CHECK_INT(s.stopped, 1);
  CHECK_INT(s.stop_reason, SL_EXIT_NORMAL);
  CHECK_INT(freed, 5); /* dropped and freed, never handled */
  CHECK_INT(s.n, 0);
  CHECK(!sl_actor_alive(&e, id));
  CHECK_INT(sl_actor_stop(&e, id, SL_EXIT_NORMAL), SL_ESTOPPED);
  sl_msg m = msg_with_payload(9);
  CHECK_INT(sl_actor_try_send(&e, id, &m), SL_ESTOPPED);
  CHECK_INT(freed, 6); /* a send to a stopped actor frees too */
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.stopped, 1);
  CHECK_INT(sl_engine_close(&e), 0);
  CHECK_INT(s.stopped, 1);
}

TEST(stop_from_inside_finishes_the_handler_first) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  st s = {0};
  s.stop_on = 3;
  sl_id id = spawn(&e, &s, 0);
  for (int i = 1; i <= 6; i++) {
    sl_msg m = msg_with_payload(i);
    sl_actor_try_send(&e, id, &m);
  }
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.n, 3);
  CHECK_INT(s.got[2], 3);
  CHECK_INT(s.stopped, 1);
  CHECK_INT(freed, 6); /* three delivered and freed, three dropped */
  CHECK(!sl_actor_alive(&e, id));
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(stale_id_never_reaches_the_slot_reuser) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  st a = {0}, b = {0};
  sl_id ida = spawn(&e, &a, 0);
  sl_actor_stop(&e, ida, SL_EXIT_NORMAL);
  sl_id idb = spawn(&e, &b, 0);
  CHECK_INT(sl_id_index(ida), sl_id_index(idb)); /* same slot reused */
  sl_msg m = msg(1);
  CHECK_INT(sl_actor_try_send(&e, ida, &m), SL_ESTOPPED);
  CHECK_INT(sl_actor_stop(&e, ida, SL_EXIT_NORMAL), SL_ESTOPPED);
  sl_engine_run_for(&e, 0);
  CHECK_INT(b.n, 0);
  CHECK(sl_actor_alive(&e, idb));
  CHECK_INT(b.stopped, 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(mailbox_full_drops_and_frees) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  st s = {0};
  sl_id id = spawn(&e, &s, 2);
  sl_msg m1 = msg_with_payload(1), m2 = msg_with_payload(2),
         m3 = msg_with_payload(3);
  CHECK_INT(sl_actor_try_send(&e, id, &m1), 0);
  CHECK_INT(sl_actor_try_send(&e, id, &m2), 0);
  CHECK_INT(sl_actor_try_send(&e, id, &m3), SL_EFULL);
  CHECK_INT(freed, 1);
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.n, 2);
  CHECK_INT(freed, 3);
  sl_msg m4 = msg(4);
  CHECK_INT(sl_actor_try_send(&e, id, &m4), 0); /* room again */
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct sent {
  int calls, last_status;
} sent;

static void on_sent(sl_engine *e, void *ud, int status) {
  sent *s = ud;
  s->calls++;
  s->last_status = status;
}

TEST(send_waits_for_room_and_keeps_order) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  st s = {0};
  sl_id id = spawn(&e, &s, 1);
  sent w = {0};
  sl_msg m1 = msg(1), m2 = msg(2), m3 = msg(3);
  CHECK_INT(sl_actor_send(&e, id, &m1, on_sent, &w), 0);
  CHECK_INT(sl_actor_send(&e, id, &m2, on_sent, &w), SL_WAIT);
  CHECK_INT(sl_actor_send(&e, id, &m3, on_sent, &w), SL_WAIT);
  sl_msg m4 = msg(4);
  CHECK_INT(sl_actor_try_send(&e, id, &m4), SL_EFULL); /* no queue jumping */
  sl_engine_run_for(&e, 0);
  REQUIRE(s.n == 3);
  CHECK_INT(s.got[0], 1);
  CHECK_INT(s.got[1], 2);
  CHECK_INT(s.got[2], 3);
  CHECK_INT(w.calls, 2);
  CHECK_INT(w.last_status, 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(waiting_sender_learns_the_actor_stopped) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  st s = {0};
  sl_id id = spawn(&e, &s, 1);
  sent w = {0};
  sl_msg m1 = msg_with_payload(1), m2 = msg_with_payload(2);
  sl_actor_send(&e, id, &m1, on_sent, &w);
  CHECK_INT(sl_actor_send(&e, id, &m2, on_sent, &w), SL_WAIT);
  sl_actor_stop(&e, id, SL_EXIT_NORMAL);
  CHECK_INT(freed, 2);
  sl_engine_run_for(&e, 0);
  CHECK_INT(w.calls, 1);
  CHECK_INT(w.last_status, SL_ESTOPPED);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(busy_actor_cannot_starve_others) {
  sl_engine_opts o = {SL_CLOCK_VIRTUAL, 1, 8, 0, 1.0}; /* batch of 8 */
  sl_engine e;
  sl_engine_init(&e, &o);
  st busy = {0}, quiet = {0};
  busy.resend = 1; /* every message it handles sends it another: forever */
  sl_id b = spawn(&e, &busy, 0);
  sl_id q = spawn(&e, &quiet, 0);
  sl_msg m = msg(0);
  sl_actor_try_send(&e, b, &m);
  sl_actor_try_send(&e, q, &m);
  /* Two turns: the busy actor's first (at most a batch), then the quiet's. */
  sl__engine_drain(&e, 2);
  CHECK_INT(busy.n, 8);
  CHECK_INT(quiet.n, 1);
  sl__engine_drain(&e, 10);
  CHECK_INT(busy.n, 8 * 11);
  CHECK(sl_actor_alive(&e, b));
  sl_actor_stop(&e, b, SL_EXIT_NORMAL);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(suspended_actor_gets_nothing_until_resumed) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  st s = {0};
  s.wait_on = 1;
  sl_id id = spawn(&e, &s, 0);
  for (int i = 1; i <= 3; i++) {
    sl_msg m = msg(i);
    sl_actor_try_send(&e, id, &m);
  }
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.n, 1);
  sl_engine_run_for(&e, 1000000);
  CHECK_INT(s.n, 1);
  CHECK_INT(sl_actor_resume(&e, id), 0);
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.n, 3);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(stopping_a_suspended_actor) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  st s = {0};
  s.wait_on = 1;
  sl_id id = spawn(&e, &s, 0);
  sl_msg m = msg(1);
  sl_actor_try_send(&e, id, &m);
  sl_engine_run_for(&e, 0);
  CHECK_INT(sl_actor_stop(&e, id, SL_EXIT_NORMAL), 0);
  CHECK_INT(s.stopped, 1);
  CHECK_INT(sl_actor_resume(&e, id), SL_ESTOPPED); /* the late resume */
  CHECK_INT(sl_engine_close(&e), 0);
  CHECK_INT(s.stopped, 1);
}

TEST(crash_stops_with_the_error_as_reason) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  st s = {0};
  s.crash_on = 2;
  sl_id id = spawn(&e, &s, 0);
  for (int i = 1; i <= 4; i++) {
    sl_msg m = msg_with_payload(i);
    sl_actor_try_send(&e, id, &m);
  }
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.n, 2);
  CHECK_INT(s.stopped, 1);
  CHECK_INT(s.stop_reason, SL_ECRASHED);
  CHECK_INT(freed, 4);
  CHECK(!sl_actor_alive(&e, id));
  CHECK_INT(sl_engine_close(&e), 0);
}

/* An on_stop that takes what is left in the mailbox (as a restart that
 * must lose nothing does): it owns those messages, the rest is dropped. */
static sl_msg taken[8];
static int ntaken;

static void take_stop(sl_actor *self, int reason) {
  st_stop(self, reason);
  while (ntaken < 2 && sl_actor_take_mail(self, &taken[ntaken]))
    ntaken++;
}

static const sl_behaviour take_beh = {"take", st_start, st_handle, take_stop};

TEST(on_stop_can_take_the_mail_left) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  ntaken = 0;
  st s = {0};
  s.crash_on = 2;
  sl_spawn_opts o = {0, SL_ID_NONE, NULL};
  sl_id id;
  REQUIRE(sl_actor_spawn(&e, &take_beh, &s, &o, &id) == 0);
  for (int i = 1; i <= 5; i++) {
    sl_msg m = msg_with_payload(i);
    sl_actor_try_send(&e, id, &m);
  }
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.n, 2);
  CHECK_INT(s.stop_reason, SL_ECRASHED);
  REQUIRE(ntaken == 2);
  CHECK_INT(taken[0].a.i, 3); /* oldest first */
  CHECK_INT(taken[1].a.i, 4);
  CHECK_INT(freed, 3); /* 1 and 2 handled, 5 dropped; 3 and 4 are ours */
  sl_msg_release(&taken[0]);
  sl_msg_release(&taken[1]);
  CHECK_INT(freed, 5);
  CHECK_INT(sl_engine_close(&e), 0);
}

/* A ring of actors passing a counter: used by the two-engine case. */
typedef struct ring_node {
  sl_id next;
  int64_t *hops;
  int64_t limit;
} ring_node;

static int ring_handle(sl_actor *self, sl_msg *m) {
  ring_node *n = sl_actor_state(self);
  (*n->hops)++;
  if (m->a.i + 1 < n->limit) {
    sl_msg next = *m;
    next.a.i++;
    sl_actor_try_send(sl_actor_engine(self), n->next, &next);
  }
  return 0;
}

static const sl_behaviour ring_beh = {"ring", NULL, ring_handle, NULL};

typedef struct ring_run {
  int64_t hops;
  int64_t now_after;
} ring_run;

static void ring_thread(void *arg) {
  ring_run *r = arg;
  sl_engine e;
  sl_engine_init(&e, NULL);
  enum { N = 100 };
  ring_node nodes[N];
  sl_id ids[N];
  for (int i = 0; i < N; i++) {
    nodes[i].hops = &r->hops;
    nodes[i].limit = 100000;
    sl_actor_spawn(&e, &ring_beh, &nodes[i], NULL, &ids[i]);
  }
  for (int i = 0; i < N; i++)
    nodes[i].next = ids[(i + 1) % N];
  sl_msg m = msg(0);
  sl_actor_try_send(&e, ids[0], &m);
  sl_engine_run_for(&e, 1000);
  r->now_after = sl_engine_now(&e);
  sl_engine_close(&e);
}

TEST(two_engines_in_one_process) {
  ring_run a = {0, 0}, b = {0, 0};
  uv_thread_t ta, tb;
  uv_thread_create(&ta, ring_thread, &a);
  uv_thread_create(&tb, ring_thread, &b);
  uv_thread_join(&ta);
  uv_thread_join(&tb);
  CHECK_INT(a.hops, 100000);
  CHECK_INT(b.hops, 100000);
  CHECK_INT(a.now_after, 1000);
  CHECK_INT(b.now_after, 1000);
}

static int spawn_child_start(sl_actor *self, void *arg) {
  st *s = sl_actor_state(self);
  s->started++;
  sl_msg m = msg(42);
  /* Mail sent to itself from on_start is delivered after it returns. */
  return sl_actor_try_send(sl_actor_engine(self), sl_actor_id(self), &m);
}

TEST(on_start_can_send_to_itself) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_behaviour b = {"self", spawn_child_start, st_handle, st_stop};
  st s = {0};
  sl_id id;
  CHECK_INT(sl_actor_spawn(&e, &b, &s, NULL, &id), 0);
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.n, 1);
  CHECK_INT(s.got[0], 42);
  CHECK_INT(sl_engine_close(&e), 0);
}

static int sync_wait_handle(sl_actor *self, sl_msg *m) {
  st *s = sl_actor_state(self);
  s->n++;
  /* The "completion" of what it waits for arrives before it returns. */
  sl_actor_resume(sl_actor_engine(self), sl_actor_id(self));
  return SL_WAIT;
}

TEST(resume_before_returning_wait_is_not_lost) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_behaviour b = {"sync", NULL, sync_wait_handle, NULL};
  st s = {0};
  sl_id id;
  sl_actor_spawn(&e, &b, &s, NULL, &id);
  sl_msg m = msg(1);
  sl_actor_try_send(&e, id, &m);
  sl_actor_try_send(&e, id, &m);
  sl_engine_run_for(&e, 1000000);
  CHECK_INT(s.n, 2);
  sl_actor *a = sl_actor_get(&e, id);
  REQUIRE(a != NULL);
  CHECK(!(a->flags & SL_AF_SUSPENDED));
  CHECK_INT(sl_engine_close(&e), 0);
}

/* --- livelock (issue 10, item 14) ----------------------------------------- */

static void count_down(sl_engine *e, void *ud, sl_id target, int reason,
                       const char *msg) {
  (void)e;
  (void)target;
  st *s = ud;
  s->stop_reason = reason;
  s->stopped++;
  if (msg != NULL && strcmp(msg, "budget_exceeded") == 0)
    s->got[255] = 1; /* its exit message named the budget */
}

TEST(livelock_fails_the_actor_at_the_limit_on_the_virtual_clock) {
  /* A limit of 1000 messages at one instant: the actor that sends itself
   * a message from each handler handles exactly 1000, then fails with
   * budget_exceeded instead of handling the 1001st; run_for returns and
   * the clock reaches its deadline. */
  sl_engine e;
  sl_engine_init(&e, NULL);
  e.livelock = 1000;
  st busy = {0}, seen = {0};
  busy.resend = 1;
  sl_id b = spawn(&e, &busy, 0);
  uint64_t mon;
  CHECK_INT(sl_actor_monitor_cb(&e, b, count_down, &seen, &mon), 0);
  sl_msg m = msg(0);
  sl_actor_try_send(&e, b, &m);
  CHECK_INT(sl_engine_run_for(&e, 1000000), 0);
  CHECK_INT(busy.n, 1000);
  CHECK(!sl_actor_alive(&e, b));
  CHECK_INT(busy.stop_reason, SL_EBUDGET);
  CHECK_INT(seen.stopped, 1);
  CHECK_INT(seen.got[255], 1);
  CHECK_INT(e.livelocks, 1);
  CHECK_INT(sl_engine_now(&e), 1000000);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(livelock_default_limit_is_ten_million_messages) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  st busy = {0};
  busy.resend = 1;
  sl_id b = spawn(&e, &busy, 0);
  sl_msg m = msg(0);
  sl_actor_try_send(&e, b, &m);
  CHECK_INT(sl_engine_run_for(&e, 1000), 0);
  CHECK_INT(busy.n, 10000000);
  CHECK_INT(busy.stop_reason, SL_EBUDGET);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct feeder {
  sl_timer t;
  sl_engine *e;
  sl_id to;
  int per_tick;
} feeder;

static void feed(sl_timer *t) {
  feeder *f = (feeder *)t;
  for (int i = 0; i < f->per_tick; i++) {
    sl_msg m = msg(i);
    sl_actor_try_send(f->e, f->to, &m);
  }
}

TEST(livelock_counts_only_since_the_clock_last_moved) {
  /* 60 messages at each of 10 instants: 600 in all, over a limit of 100,
   * but never more than 60 at one instant -- not a livelock. */
  sl_engine e;
  sl_engine_init(&e, NULL);
  e.livelock = 100;
  st s = {0};
  sl_id a = spawn(&e, &s, 100);
  feeder f = {.e = &e, .to = a, .per_tick = 60};
  sl_timer_init(&e, &f.t);
  sl_timer_start(&f.t, feed, 1000, 1000);
  sl_engine_run_for(&e, 10000);
  CHECK_INT(s.n, 600);
  CHECK(sl_actor_alive(&e, a));
  CHECK_INT(e.livelocks, 0);
  sl_timer_stop(&f.t);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct pp {
  sl_id other;
  int n;
} pp;

static int pp_handle(sl_actor *self, sl_msg *m) {
  pp *p = sl_actor_state(self);
  p->n++;
  sl_actor_try_send(sl_actor_engine(self), p->other, m);
  m->payload = NULL; /* nothing owned: sent on as is */
  return 0;
}

TEST(livelock_between_two_actors_fails_the_first_over_the_limit) {
  /* A ping-pong at one instant: each handles one message a turn.  The one
   * that started reaches the limit first and fails; its partner's next
   * send finds it stopped, and the clock moves on. */
  sl_engine e;
  sl_engine_init(&e, NULL);
  e.livelock = 500;
  static const sl_behaviour ppb = {"pp", NULL, pp_handle, NULL};
  pp a = {0}, b = {0};
  sl_id ia, ib;
  sl_actor_spawn(&e, &ppb, &a, NULL, &ia);
  sl_actor_spawn(&e, &ppb, &b, NULL, &ib);
  a.other = ib;
  b.other = ia;
  sl_msg m = msg(0);
  sl_actor_try_send(&e, ia, &m);
  sl_engine_run_for(&e, 5000);
  CHECK_INT(a.n, 500);
  CHECK_INT(b.n, 500);
  CHECK(!sl_actor_alive(&e, ia));
  CHECK(sl_actor_alive(&e, ib));
  CHECK_INT(e.livelocks, 1);
  CHECK_INT(sl_engine_now(&e), 5000);
  CHECK_INT(sl_engine_close(&e), 0);
}
