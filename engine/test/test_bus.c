/* Tests for the event bus (engine/swarm/bus.c): patterns apply before
 * buffering, lag is per subscription and current, bounds, ownership. */
#include "stream/pred.h"
#include "swarm/bus.h"
#include "t.h"

static void publish(sl_bus *b, int type, int64_t drone) {
  sl_event ev;
  sl_event_init(&ev, type, 0);
  ev.drone = drone;
  CHECK_INT(sl_bus_publish(b, &ev), 0);
}

/* The drones of what a subscription holds, read out; returns how many. */
static int read_all(sl_bus_sub *s, int64_t *drones, uint64_t *seqs, int n) {
  sl_event ev;
  uint64_t seq;
  int k = 0;
  while (sl_bus_sub_next(s, &ev, &seq) == 0) {
    if (k < n) {
      drones[k] = ev.drone;
      if (seqs)
        seqs[k] = seq;
    }
    k++;
    sl_event_free(&ev);
  }
  return k;
}

TEST(a_pattern_applies_before_buffering) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bus b;
  REQUIRE(sl_bus_init(&b, &e, 4) == 0);
  sl_bus_sub *state = sl_bus_subscribe(&b, SL_EV_DRONE_STATE, NULL, 0);
  sl_bus_sub *all = sl_bus_subscribe(&b, -1, NULL, 0);
  REQUIRE(state != NULL && all != NULL);
  for (int i = 0; i < 10; i++) /* traffic `state` did not ask for */
    publish(&b, SL_EV_BATTERY_LOW, i);
  publish(&b, SL_EV_DRONE_STATE, 42);
  CHECK_INT(state->lagged, 0); /* nothing of its own was lost */
  CHECK_INT(all->lagged, 7);   /* 11 matching, 4 held: counted at once */
  int64_t d[8] = {0};
  CHECK_INT(read_all(state, d, NULL, 8), 1);
  CHECK_INT(d[0], 42);
  CHECK_INT(read_all(all, d, NULL, 8), 4); /* the newest four */
  CHECK_INT(d[0], 7);
  CHECK_INT(d[3], 42);
  CHECK_INT(b.published, 11);
  sl_bus_unsubscribe(state);
  sl_bus_unsubscribe(all);
  sl_bus_free(&b);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(a_predicate_filters_before_buffering) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bus b;
  sl_bus_init(&b, &e, 3);
  sl_pred *p = sl_pred_new();
  REQUIRE(p != NULL);
  REQUIRE(sl_pred_add(p, "drone", SL_OP_GE, NULL, 97) == 0);
  sl_bus_sub *s = sl_bus_subscribe(&b, SL_EV_DRONE_REGISTERED, p, 0);
  sl_pred_release(p); /* the subscription holds its own reference */
  for (int i = 0; i < 100; i++)
    publish(&b, SL_EV_DRONE_REGISTERED, i);
  CHECK_INT(s->lagged, 0);
  int64_t d[4] = {0};
  uint64_t seq[4] = {0};
  CHECK_INT(read_all(s, d, seq, 4), 3);
  CHECK_INT(d[0], 97);
  CHECK_INT(d[2], 99);
  CHECK_INT(seq[0], 0); /* its own stream: the first it ever queued */
  CHECK_INT(seq[2], 2);
  sl_bus_unsubscribe(s);
  sl_bus_free(&b);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct drops {
  int n;
  uint64_t seqs[16];
  int64_t drones[16];
} drops;

static int odd_drones(void *ud, const sl_event *ev) {
  (void)ud;
  return ev->drone % 2 == 1;
}

static void on_dropped(void *ud, const sl_event *ev, uint64_t seq) {
  drops *d = ud;
  if (d->n < 16) {
    d->seqs[d->n] = seq;
    d->drones[d->n] = ev->drone;
  }
  d->n++;
}

TEST(hooks_match_and_are_told_what_a_full_fifo_drops) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bus b;
  sl_bus_init(&b, &e, 1024);
  sl_bus_sub *s = sl_bus_subscribe(&b, -1, NULL, 2);
  drops d = {0};
  sl_bus_sub_hooks(s, odd_drones, on_dropped, &d);
  for (int i = 0; i < 10; i++) /* odd ones match: 1 3 5 7 9 */
    publish(&b, SL_EV_DRONE_ONLINE, i);
  CHECK_INT(s->lagged, 3);
  CHECK_INT(d.n, 3);
  CHECK_INT(d.drones[0], 1);
  CHECK_INT(d.seqs[0], 0);
  CHECK_INT(d.drones[2], 5);
  CHECK_INT(d.seqs[2], 2);
  int64_t got[4] = {0};
  uint64_t seq[4] = {0};
  CHECK_INT(read_all(s, got, seq, 4), 2);
  CHECK_INT(got[0], 7);
  CHECK_INT(seq[0], 3);
  CHECK_INT(got[1], 9);
  CHECK_INT(seq[1], 4);
  sl_bus_unsubscribe(s);
  sl_bus_free(&b);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(a_fifo_grows_to_its_bound_for_a_burst_and_shrinks_when_read) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bus b;
  sl_bus_init(&b, &e, 16);
  sl_bus_sub *big = sl_bus_subscribe(&b, -1, NULL, 100000);
  sl_bus_sub *small = sl_bus_subscribe(&b, -1, NULL, 0); /* the bus's 16 */
  for (int i = 0; i < 50000; i++)
    publish(&b, SL_EV_DRONE_REGISTERED, i);
  CHECK_INT(big->len, 50000);
  CHECK_INT(big->lagged, 0);
  CHECK_INT(small->len, 16);
  CHECK(small->cap <= 16);
  CHECK_INT(small->lagged, 50000 - 16);
  int64_t d[1] = {-1};
  CHECK_INT(read_all(big, d, NULL, 1), 50000);
  CHECK_INT(d[0], 0);
  CHECK_INT(big->cap, 0); /* the burst's memory is given back */
  sl_bus_unsubscribe(big);
  sl_bus_unsubscribe(small);
  sl_bus_free(&b);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(each_taker_owns_its_strings) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bus b;
  sl_bus_init(&b, &e, 8);
  sl_bus_sub *a = sl_bus_subscribe(&b, SL_EV_MISSION_CREATED, NULL, 0);
  sl_bus_sub *c = sl_bus_subscribe(&b, -1, NULL, 0);
  sl_bus_sub *none = sl_bus_subscribe(&b, SL_EV_ALERT_LEVEL, NULL, 0);
  sl_event ev;
  sl_event_init(&ev, SL_EV_MISSION_CREATED, 5);
  sl_event_set(&ev.mission, "m-1");
  sl_bus_publish(&b, &ev);
  sl_event_init(&ev, SL_EV_ACTOR_RESTARTED, 6); /* nobody else: moved */
  sl_event_set(&ev.name, "worker");
  sl_event_set(&ev.reason, "crashed");
  sl_bus_publish(&b, &ev);
  sl_event_init(&ev, SL_EV_DRONE_STATE, 7); /* matches no one but c */
  sl_event_set(&ev.reason, "arrived");
  sl_bus_publish(&b, &ev);
  sl_event x, y;
  REQUIRE(sl_bus_sub_next(a, &x, NULL) == 0);
  REQUIRE(sl_bus_sub_next(c, &y, NULL) == 0);
  CHECK_STR(x.mission, "m-1");
  CHECK_STR(y.mission, "m-1");
  CHECK(x.mission != y.mission);
  sl_event_free(&x);
  sl_event_free(&y);
  CHECK_INT(none->len, 0);
  /* c still holds two events with strings: unsubscribe frees them */
  sl_bus_unsubscribe(a);
  sl_bus_unsubscribe(c);
  sl_bus_unsubscribe(none);
  sl_bus_free(&b);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct got {
  int n;
  int status[4];
  int64_t drone[4];
  int64_t at[4];
} got;

static int on_recv(sl_engine *e, void *ud, int status, void *elem) {
  got *g = ud;
  g->status[g->n] = status;
  g->drone[g->n] = elem ? ((sl_event *)elem)->drone : -1;
  g->at[g->n] = sl_engine_now(e);
  g->n++;
  if (elem != NULL)
    sl_event_free(elem); /* moved to us */
  return 0;
}

TEST(a_waiter_gets_the_next_matching_event_or_times_out) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bus b;
  sl_bus_init(&b, &e, 8);
  sl_bus_sub *s = sl_bus_subscribe(&b, SL_EV_TARGET_LOST, NULL, 0);
  got g = {0};
  sl_chan_waiter *w;
  CHECK_INT(sl_bus_sub_recv(s, -1, on_recv, &g, &w), SL_WAIT);
  publish(&b, SL_EV_DRONE_STATE, 1); /* not its type: no wake */
  sl_engine_run_for(&e, 0);
  CHECK_INT(g.n, 0);
  sl_event ev;
  sl_event_init(&ev, SL_EV_TARGET_LOST, 0);
  ev.drone = 3;
  sl_event_set(&ev.reason, "owned"); /* freed by the callback */
  sl_bus_publish(&b, &ev);
  sl_engine_run_for(&e, 0);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.status[0], 0);
  CHECK_INT(g.drone[0], 3);
  CHECK_INT(s->len, 0);
  CHECK_INT(sl_bus_sub_recv(s, 500000, on_recv, &g, &w), SL_WAIT);
  sl_engine_run_for(&e, 1000000);
  CHECK_INT(g.n, 2);
  CHECK_INT(g.status[1], SL_ETIMEOUT);
  CHECK_INT(g.at[1], 500000);
  sl_bus_unsubscribe(s);
  sl_bus_free(&b);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(subscriptions_outlive_the_bus) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bus b;
  sl_bus_init(&b, &e, 8);
  sl_bus_sub *s = sl_bus_subscribe(&b, -1, NULL, 0);
  sl_bus_sub *w8 = sl_bus_subscribe(&b, SL_EV_ALERT_LEVEL, NULL, 0);
  got g = {0};
  sl_chan_waiter *w;
  CHECK_INT(sl_bus_sub_recv(w8, -1, on_recv, &g, &w), SL_WAIT);
  sl_event ev;
  sl_event_init(&ev, SL_EV_MISSION_CANCELLED, 0);
  sl_event_set(&ev.mission, "m-2");
  sl_bus_publish(&b, &ev);
  sl_bus_free(&b); /* s keeps what it holds; w8's waiter ends, closed */
  CHECK(s->bus == NULL);
  sl_engine_run_for(&e, 0);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.status[0], SL_ECLOSED);
  sl_event_init(&ev, SL_EV_MISSION_CANCELLED, 0);
  sl_event_set(&ev.mission, "m-3");
  CHECK_INT(sl_bus_publish(&b, &ev), SL_ECLOSED); /* freed, not leaked */
  CHECK(sl_bus_subscribe(&b, -1, NULL, 0) == NULL);
  sl_event out;
  REQUIRE(sl_bus_sub_next(s, &out, NULL) == 0);
  CHECK_STR(out.mission, "m-2");
  sl_event_free(&out);
  CHECK_INT(sl_bus_sub_next(s, &out, NULL), SL_ECLOSED);
  CHECK_INT(sl_bus_sub_recv(s, -1, on_recv, &g, &w), SL_ECLOSED);
  sl_bus_unsubscribe(s);
  sl_bus_unsubscribe(w8);
  sl_bus_unsubscribe(NULL);
  CHECK_INT(sl_engine_close(&e), 0);
}
