/* Tests for request/reply (engine/rt/ask.c). */
#include "rt/ask.h"
#include "t.h"

static int freed;
static void count_free(sl_msg *m) {
  free(m->payload);
  freed++;
}

static sl_msg msg(int v) {
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.a.i = v;
  return m;
}

/* The server: replies v * 2 at once, or keeps the token and replies later
 * (from a timer) when v is negative, or crashes on 13. */
typedef struct server {
  sl_timer later;
  uint64_t saved;
  int64_t saved_value;
  int64_t delay_us;
  int replies_refused;
} server;

static void reply_later(sl_timer *t) {
  server *s = t->data;
  sl_msg r = msg((int)(s->saved_value * 2));
  r.payload = malloc(8);
  r.free_fn = count_free;
  if (sl_reply(t->engine, s->saved, &r) != 0)
    s->replies_refused++;
}

static int server_handle(sl_actor *self, sl_msg *m) {
  server *s = sl_actor_state(self);
  sl_engine *e = sl_actor_engine(self);
  if (m->a.i == 13)
    return SL_ECRASHED;
  if (m->a.i < 0) {
    s->saved = m->reply;
    m->reply = 0;
    s->saved_value = m->a.i;
    sl_timer_init(e, &s->later);
    s->later.data = s;
    sl_timer_start(&s->later, reply_later, s->delay_us, 0);
    return 0;
  }
  sl_msg r = msg((int)(m->a.i * 2));
  sl_actor_reply(e, m, &r);
  /* A second answer to the same request is refused. */
  sl_msg again = msg(0);
  if (sl_actor_reply(e, m, &again) != SL_EINVAL)
    s->replies_refused = -1000;
  return 0;
}

static const sl_behaviour server_beh = {"server", NULL, server_handle, NULL};

typedef struct answer {
  int calls, status;
  int64_t value, at;
} answer;

static void on_answer(sl_engine *e, void *ud, int status, sl_msg *reply) {
  answer *a = ud;
  a->calls++;
  a->status = status;
  a->at = sl_engine_now(e);
  a->value = reply ? reply->a.i : 0;
}

TEST(reply_reaches_the_asker) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  server s = {0};
  sl_id id;
  sl_actor_spawn(&e, &server_beh, &s, NULL, &id);
  answer a = {0};
  sl_msg m = msg(21);
  CHECK_INT(sl_actor_ask(&e, id, &m, 1000000, on_answer, &a), 0);
  CHECK_INT(a.calls, 0); /* never called from inside sl_actor_ask */
  sl_engine_run_for(&e, 0);
  CHECK_INT(a.calls, 1);
  CHECK_INT(a.status, 0);
  CHECK_INT(a.value, 42);
  CHECK_INT(s.replies_refused, 0);
  sl_engine_run_for(&e, 2000000); /* the timeout must not fire later */
  CHECK_INT(a.calls, 1);
  CHECK_INT(e.asks.live, 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(timeout_then_late_reply_is_dropped_and_freed) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  server s = {0};
  s.delay_us = 3000000;
  sl_id id;
  sl_actor_spawn(&e, &server_beh, &s, NULL, &id);
  answer a = {0};
  sl_msg m = msg(-5);
  sl_actor_ask(&e, id, &m, 1000000, on_answer, &a);
  sl_engine_run_for(&e, 5000000);
  CHECK_INT(a.calls, 1);
  CHECK_INT(a.status, SL_ETIMEOUT);
  CHECK_INT(a.at, 1000000);
  CHECK_INT(s.replies_refused, 1); /* the reply at 3 s found the ask over */
  CHECK_INT(freed, 1);             /* and its payload was freed */
  CHECK_INT(e.asks.live, 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(reply_from_a_saved_token_in_time) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  server s = {0};
  s.delay_us = 500000;
  sl_id id;
  sl_actor_spawn(&e, &server_beh, &s, NULL, &id);
  answer a = {0};
  sl_msg m = msg(-4);
  sl_actor_ask(&e, id, &m, 1000000, on_answer, &a);
  sl_engine_run_for(&e, 2000000);
  CHECK_INT(a.calls, 1);
  CHECK_INT(a.status, 0);
  CHECK_INT(a.value, -8);
  CHECK_INT(a.at, 500000);
  CHECK_INT(freed, 1); /* the asker did not take the payload: freed after */
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(ask_a_stopped_actor_fails_at_once) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  freed = 0;
  server s = {0};
  sl_id id;
  sl_actor_spawn(&e, &server_beh, &s, NULL, &id);
  sl_actor_stop(&e, id, SL_EXIT_NORMAL);
  answer a = {0};
  sl_msg m = msg(1);
  m.payload = malloc(4);
  m.free_fn = count_free;
  CHECK_INT(sl_actor_ask(&e, id, &m, 1000000, on_answer, &a), SL_ESTOPPED);
  CHECK_INT(freed, 1);
  sl_engine_run_for(&e, 2000000);
  CHECK_INT(a.calls, 0);
  CHECK_INT(e.asks.live, 0);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(receiver_stopping_with_the_request_queued_fails_the_ask) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  server s = {0};
  sl_id id;
  sl_actor_spawn(&e, &server_beh, &s, NULL, &id);
  answer a = {0};
  sl_msg m = msg(1);
  sl_actor_ask(&e, id, &m, 1000000, on_answer, &a);
  sl_actor_stop(&e, id, SL_EXIT_NORMAL);
  sl_engine_run_for(&e, 0);
  CHECK_INT(a.calls, 1);
  CHECK_INT(a.status, SL_ESTOPPED);
  CHECK_INT(a.at, 0); /* at once, not at the timeout */
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(receiver_crashing_on_the_request_fails_the_ask) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  server s = {0};
  sl_id id;
  sl_actor_spawn(&e, &server_beh, &s, NULL, &id);
  answer a = {0};
  sl_msg m = msg(13);
  sl_actor_ask(&e, id, &m, 1000000, on_answer, &a);
  sl_engine_run_for(&e, 0);
  CHECK_INT(a.calls, 1);
  CHECK_INT(a.status, SL_ESTOPPED);
  CHECK(!sl_actor_alive(&e, id));
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(ask_waits_for_mailbox_room) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  server s = {0};
  sl_spawn_opts o = {1, SL_ID_NONE, NULL};
  sl_id id;
  sl_actor_spawn(&e, &server_beh, &s, &o, &id);
  answer a = {0}, b = {0};
  sl_msg m1 = msg(1), m2 = msg(2);
  CHECK_INT(sl_actor_ask(&e, id, &m1, -1, on_answer, &a), 0);
  CHECK_INT(sl_actor_ask(&e, id, &m2, -1, on_answer, &b), 0); /* waits */
  sl_engine_run_for(&e, 0);
  CHECK_INT(a.value, 2);
  CHECK_INT(b.value, 4);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(shutdown_fails_pending_asks) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  server s = {0};
  s.delay_us = 10000000;
  sl_id id;
  sl_actor_spawn(&e, &server_beh, &s, NULL, &id);
  answer a = {0};
  sl_msg m = msg(-1);
  sl_actor_ask(&e, id, &m, -1, on_answer, &a);
  sl_engine_run_for(&e, 1000);
  CHECK_INT(a.calls, 0);
  sl_engine_shutdown(&e, 0);
  CHECK_INT(a.calls, 1);
  CHECK_INT(a.status, SL_ESTOPPED);
  CHECK_INT(sl_engine_close(&e), 0);
}
