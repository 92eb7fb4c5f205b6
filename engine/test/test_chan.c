/* Tests for the channels: mpsc, broadcast, watch, oneshot (engine/chan). */
#include "chan/broadcast.h"
#include "chan/mpsc.h"
#include "chan/oneshot.h"
#include "chan/watch.h"
#include "t.h"

/* Elements are ints; `dropped` counts what a channel dropped. */
static int dropped;
static void drop_int(void *ctx, void *elem) {
  (void)ctx;
  (void)elem;
  dropped++;
}
static const sl_elem_ops int_ops = {sizeof(int), drop_int, NULL};

typedef struct got {
  int values[64];
  int statuses[64];
  int64_t at[64];
  int n;
  int keep; /* return value for moved kinds */
} got;

static int on_recv(sl_engine *e, void *ud, int status, void *elem) {
  got *g = ud;
  g->values[g->n] = elem ? *(int *)elem : -1;
  g->statuses[g->n] = status;
  g->at[g->n] = sl_engine_now(e);
  g->n++;
  return g->keep;
}

static void on_sent(sl_engine *e, void *ud, int status) {
  got *g = ud;
  g->statuses[g->n++] = status;
}

/* --- mpsc ---------------------------------------------------------------- */

TEST(mpsc_fifo_and_full) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_mpsc ch;
  REQUIRE(sl_mpsc_init(&ch, &e, &int_ops, 3) == 0);
  dropped = 0;
  for (int i = 1; i <= 3; i++)
    CHECK_INT(sl_mpsc_try_send(&ch, &i), 0);
  int four = 4;
  CHECK_INT(sl_mpsc_try_send(&ch, &four), SL_ECHANFULL);
  CHECK_INT(dropped, 1); /* a refused value is dropped */
  int v;
  for (int i = 1; i <= 3; i++) {
    CHECK_INT(sl_mpsc_try_recv(&ch, &v), 0);
    CHECK_INT(v, i);
  }
  CHECK_INT(sl_mpsc_try_recv(&ch, &v), SL_EEMPTY);
  sl_mpsc_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(mpsc_send_waits_for_room_in_order) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_mpsc ch;
  sl_mpsc_init(&ch, &e, &int_ops, 1);
  got s = {0};
  int a = 1, b = 2, c = 3, v;
  CHECK_INT(sl_mpsc_send(&ch, &a, on_sent, &s), 0);
  CHECK_INT(sl_mpsc_send(&ch, &b, on_sent, &s), SL_WAIT);
  CHECK_INT(sl_mpsc_send(&ch, &c, on_sent, &s), SL_WAIT);
  CHECK_INT(sl_mpsc_try_send(&ch, &a), SL_ECHANFULL); /* no queue jumping */
  for (int i = 1; i <= 3; i++) {
    CHECK_INT(sl_mpsc_try_recv(&ch, &v), 0);
    CHECK_INT(v, i);
  }
  sl_engine_run_for(&e, 0);
  CHECK_INT(s.n, 2);
  CHECK_INT(s.statuses[0], 0);
  sl_mpsc_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(mpsc_recv_waits_then_gets_the_value) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_mpsc ch;
  sl_mpsc_init(&ch, &e, &int_ops, 4);
  got g = {0};
  sl_chan_waiter *w;
  CHECK_INT(sl_mpsc_recv(&ch, 5000000, on_recv, &g, &w), SL_WAIT);
  sl_engine_run_for(&e, 1000000);
  CHECK_INT(g.n, 0);
  int x = 42;
  sl_mpsc_try_send(&ch, &x);
  CHECK_INT(g.n, 0); /* never from inside the send */
  CHECK_INT(sl_mpsc_len(&ch), 0); /* went straight to the receiver */
  sl_engine_run_for(&e, 0);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.values[0], 42);
  CHECK_INT(g.at[0], 1000000);
  sl_mpsc_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(mpsc_recv_timeout) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_mpsc ch;
  sl_mpsc_init(&ch, &e, &int_ops, 4);
  got g = {0};
  sl_chan_waiter *w;
  sl_mpsc_recv(&ch, 1500000, on_recv, &g, &w);
  sl_engine_run_for(&e, 3000000);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.statuses[0], SL_ETIMEOUT);
  CHECK_INT(g.at[0], 1500000);
  int x = 7, v;
  sl_mpsc_try_send(&ch, &x); /* the timed-out waiter is gone: it queues */
  CHECK_INT(sl_mpsc_try_recv(&ch, &v), 0);
  CHECK_INT(v, 7);
  sl_mpsc_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(mpsc_close_wakes_every_waiter) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  dropped = 0;
  sl_mpsc rx_ch, tx_ch;
  sl_mpsc_init(&rx_ch, &e, &int_ops, 2);
  sl_mpsc_init(&tx_ch, &e, &int_ops, 1);
  got r = {0}, s = {0};
  sl_chan_waiter *w1, *w2;
  sl_mpsc_recv(&rx_ch, -1, on_recv, &r, &w1);
  sl_mpsc_recv(&rx_ch, -1, on_recv, &r, &w2);
  int a = 1, b = 2, c = 3;
  sl_mpsc_send(&tx_ch, &a, on_sent, &s);
  sl_mpsc_send(&tx_ch, &b, on_sent, &s);
  sl_mpsc_send(&tx_ch, &c, on_sent, &s);
  sl_mpsc_close(&rx_ch);
  sl_mpsc_close(&tx_ch);
  sl_engine_run_for(&e, 0);
  CHECK_INT(r.n, 2);
  CHECK_INT(r.statuses[0], SL_ECLOSED);
  CHECK_INT(r.statuses[1], SL_ECLOSED);
  CHECK_INT(s.n, 2);
  CHECK_INT(s.statuses[0], SL_ECLOSED);
  CHECK_INT(dropped, 2); /* the two waiting senders' values */
  int v;
  CHECK_INT(sl_mpsc_try_recv(&tx_ch, &v), 0); /* queued before close */
  CHECK_INT(v, 1);
  CHECK_INT(sl_mpsc_try_recv(&tx_ch, &v), SL_ECLOSED);
  CHECK_INT(sl_mpsc_try_send(&tx_ch, &a), SL_ECLOSED);
  sl_mpsc_free(&rx_ch);
  sl_mpsc_free(&tx_ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(mpsc_free_drops_what_is_left) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  dropped = 0;
  sl_mpsc ch;
  sl_mpsc_init(&ch, &e, &int_ops, 8);
  for (int i = 0; i < 5; i++)
    sl_mpsc_try_send(&ch, &i);
  sl_mpsc_free(&ch);
  CHECK_INT(dropped, 5);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(waiter_cancel_means_no_callback) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  dropped = 0;
  sl_mpsc ch;
  sl_mpsc_init(&ch, &e, &int_ops, 4);
  got g = {0};
  sl_chan_waiter *w;
  sl_mpsc_recv(&ch, 1000000, on_recv, &g, &w);
  sl_chan_waiter_cancel(w); /* while waiting */
  sl_mpsc_recv(&ch, 1000000, on_recv, &g, &w);
  int x = 5;
  sl_mpsc_try_send(&ch, &x); /* READY, callback queued */
  sl_chan_waiter_cancel(w);   /* ... and cancelled before it ran */
  sl_engine_run_for(&e, 2000000);
  CHECK_INT(g.n, 0);
  CHECK_INT(dropped, 1); /* the value it carried */
  sl_mpsc_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct poster {
  sl_mpsc *ch;
  int base, n;
} poster;

static void post_thread(void *arg) {
  poster *p = arg;
  for (int i = 0; i < p->n; i++) {
    int v = p->base + i;
    sl_mpsc_post(p->ch, &v);
  }
}

TEST(mpsc_post_from_threads_loses_nothing) {
  sl_engine e;
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  REQUIRE(sl_engine_init(&e, &o) == 0);
  dropped = 0;
  sl_mpsc ch;
  sl_mpsc_init(&ch, &e, &int_ops, 16); /* small: posts must wait for room */
  poster ps[3] = {{&ch, 0, 5000}, {&ch, 100000, 5000}, {&ch, 200000, 5000}};
  uv_thread_t th[3];
  for (int i = 0; i < 3; i++)
    uv_thread_create(&th[i], post_thread, &ps[i]);
  int64_t sum = 0, want = 0;
  int count = 0, last[3] = {-1, -1, -1}, order_ok = 1;
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 5000; k++)
      want += ps[i].base + k;
  for (int spins = 0; count < 15000 && spins < 5000; spins++) {
    sl_engine_run_for(&e, 1000);
    int v;
    while (sl_mpsc_try_recv(&ch, &v) == 0) {
      int p = v / 100000;
      if (v <= last[p])
        order_ok = 0;
      last[p] = v;
      sum += v;
      count++;
    }
  }
  for (int i = 0; i < 3; i++)
    uv_thread_join(&th[i]);
  CHECK_INT(count, 15000);
  CHECK_INT(sum, want);
  CHECK(order_ok);
  CHECK_INT(dropped, 0);
  sl_mpsc_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

/* --- broadcast ----------------------------------------------------------- */

TEST(broadcast_every_receiver_gets_every_value) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bcast ch;
  REQUIRE(sl_bcast_init(&ch, &e, &int_ops, 8) == 0);
  sl_bcast_rx *a = sl_bcast_subscribe(&ch), *b = sl_bcast_subscribe(&ch);
  for (int i = 1; i <= 5; i++)
    sl_bcast_publish(&ch, &i);
  int v;
  for (int i = 1; i <= 5; i++) {
    CHECK_INT(sl_bcast_try_recv(a, &v), 0);
    CHECK_INT(v, i);
  }
  CHECK_INT(sl_bcast_try_recv(a, &v), SL_EEMPTY);
  for (int i = 1; i <= 5; i++) {
    CHECK_INT(sl_bcast_try_recv(b, &v), 0);
    CHECK_INT(v, i);
  }
  sl_bcast_rx *late = sl_bcast_subscribe(&ch); /* sees only what follows */
  CHECK_INT(sl_bcast_try_recv(late, &v), SL_EEMPTY);
  sl_bcast_unsubscribe(a);
  sl_bcast_unsubscribe(b);
  sl_bcast_unsubscribe(late);
  sl_bcast_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(broadcast_lagging_receiver_skips_to_the_oldest_held) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  dropped = 0;
  sl_bcast ch;
  sl_bcast_init(&ch, &e, &int_ops, 4);
  sl_bcast_rx *slow = sl_bcast_subscribe(&ch), *fast = sl_bcast_subscribe(&ch);
  int v;
  for (int i = 1; i <= 10; i++) {
    sl_bcast_publish(&ch, &i); /* never waits for the slow one */
    CHECK_INT(sl_bcast_try_recv(fast, &v), 0);
    CHECK_INT(v, i);
  }
  CHECK_INT(dropped, 6); /* values 1..6 left the ring */
  CHECK_INT(sl_bcast_try_recv(slow, &v), 0);
  CHECK_INT(v, 7);
  CHECK_INT(slow->lagged, 6);
  CHECK_INT(fast->lagged, 0);
  for (int i = 8; i <= 10; i++) {
    CHECK_INT(sl_bcast_try_recv(slow, &v), 0);
    CHECK_INT(v, i);
  }
  CHECK_INT(sl_bcast_try_recv(slow, &v), SL_EEMPTY);
  CHECK_INT(slow->lagged, 6);
  sl_bcast_unsubscribe(slow);
  sl_bcast_unsubscribe(fast);
  sl_bcast_free(&ch);
  CHECK_INT(dropped, 10);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(broadcast_waiter_reads_when_woken_and_close_ends_after_the_rest) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bcast ch;
  sl_bcast_init(&ch, &e, &int_ops, 4);
  sl_bcast_rx *rx = sl_bcast_subscribe(&ch);
  got g = {0};
  sl_chan_waiter *w;
  CHECK_INT(sl_bcast_recv(rx, -1, on_recv, &g, &w), SL_WAIT);
  int v1 = 11, v2 = 12;
  sl_bcast_publish(&ch, &v1);
  sl_bcast_publish(&ch, &v2);
  sl_bcast_close(&ch);
  sl_engine_run_for(&e, 0);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.values[0], 11);
  int v;
  CHECK_INT(sl_bcast_try_recv(rx, &v), 0); /* closed, but 12 is still held */
  CHECK_INT(v, 12);
  CHECK_INT(sl_bcast_try_recv(rx, &v), SL_ECLOSED);
  CHECK_INT(sl_bcast_recv(rx, -1, on_recv, &g, &w), SL_ECLOSED);
  CHECK_INT(sl_bcast_publish(&ch, &v1), SL_ECLOSED);
  sl_bcast_unsubscribe(rx);
  sl_bcast_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(broadcast_closing_wakes_a_waiting_receiver) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bcast ch;
  sl_bcast_init(&ch, &e, &int_ops, 4);
  sl_bcast_rx *rx = sl_bcast_subscribe(&ch);
  got g = {0};
  sl_chan_waiter *w;
  sl_bcast_recv(rx, -1, on_recv, &g, &w);
  sl_bcast_close(&ch);
  sl_engine_run_for(&e, 0);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.statuses[0], SL_ECLOSED);
  sl_bcast_unsubscribe(rx);
  sl_bcast_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

typedef struct drain_ctx {
  sl_bcast_rx *rx;
  int sum, runs;
} drain_ctx;

static void drain_notify(sl_engine *e, void *ud) {
  drain_ctx *d = ud;
  int v;
  d->runs++;
  while (sl_bcast_try_recv(d->rx, &v) == 0)
    d->sum += v;
}

TEST(broadcast_notify_runs_once_for_a_burst) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_bcast ch;
  sl_bcast_init(&ch, &e, &int_ops, 64);
  drain_ctx d = {sl_bcast_subscribe(&ch), 0, 0};
  sl_bcast_rx_set_notify(d.rx, drain_notify, &d);
  for (int i = 1; i <= 10; i++)
    sl_bcast_publish(&ch, &i);
  sl_engine_run_for(&e, 0);
  CHECK_INT(d.runs, 1);
  CHECK_INT(d.sum, 55);
  int x = 100;
  sl_bcast_publish(&ch, &x);
  sl_bcast_unsubscribe(d.rx); /* its run is queued: must not be called */
  sl_engine_run_for(&e, 0);
  CHECK_INT(d.runs, 1);
  sl_bcast_free(&ch);
  CHECK_INT(sl_engine_close(&e), 0);
}

/* --- watch --------------------------------------------------------------- */

TEST(watch_keeps_only_the_latest) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  dropped = 0;
  sl_watch w;
  REQUIRE(sl_watch_init(&w, &e, &int_ops, NULL) == 0);
  CHECK(sl_watch_borrow(&w) == NULL);
  sl_watch_rx *rx = sl_watch_subscribe(&w);
  int v;
  CHECK_INT(sl_watch_try_recv(rx, &v), SL_EEMPTY);
  for (int i = 1; i <= 3; i++)
    sl_watch_send(&w, &i);
  CHECK_INT(dropped, 2);
  CHECK_INT(w.version, 3);
  CHECK_INT(*(const int *)sl_watch_borrow(&w), 3);
  CHECK_INT(sl_watch_try_recv(rx, &v), 0);
  CHECK_INT(v, 3); /* the changes in between are not queued */
  CHECK_INT(sl_watch_try_recv(rx, &v), SL_EEMPTY);
  sl_watch_unsubscribe(rx);
  sl_watch_free(&w);
  CHECK_INT(dropped, 3);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(watch_receiver_waits_for_a_change) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_watch w;
  int zero = 0;
  sl_watch_init(&w, &e, &int_ops, &zero);
  sl_watch_rx *rx = sl_watch_subscribe(&w); /* has seen version 1 */
  got g = {0};
  sl_chan_waiter *k;
  CHECK_INT(sl_watch_recv(rx, -1, on_recv, &g, &k), SL_WAIT);
  sl_engine_run_for(&e, 2000000);
  CHECK_INT(g.n, 0);
  int five = 5, six = 6;
  sl_watch_send(&w, &five);
  sl_watch_send(&w, &six);
  sl_engine_run_for(&e, 0);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.values[0], 6); /* read when woken: the latest */
  sl_watch_close(&w);
  int v;
  CHECK_INT(sl_watch_try_recv(rx, &v), SL_ECLOSED);
  sl_watch_unsubscribe(rx);
  sl_watch_free(&w);
  CHECK_INT(sl_engine_close(&e), 0);
}

/* --- oneshot ------------------------------------------------------------- */

TEST(oneshot_one_value_once) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  dropped = 0;
  int storage;
  sl_oneshot o;
  sl_oneshot_init(&o, &e, &int_ops, &storage);
  int v, x = 9;
  CHECK_INT(sl_oneshot_try_recv(&o, &v), SL_EEMPTY);
  CHECK_INT(sl_oneshot_send(&o, &x), 0);
  CHECK_INT(sl_oneshot_send(&o, &x), SL_ECLOSED); /* only once */
  CHECK_INT(dropped, 1);
  CHECK_INT(sl_oneshot_try_recv(&o, &v), 0);
  CHECK_INT(v, 9);
  CHECK_INT(sl_oneshot_try_recv(&o, &v), SL_ECLOSED);
  sl_oneshot_free(&o);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(oneshot_dropped_without_a_value) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  int storage;
  sl_oneshot o;
  sl_oneshot_init(&o, &e, &int_ops, &storage);
  got g = {0};
  sl_chan_waiter *w;
  CHECK_INT(sl_oneshot_recv(&o, -1, on_recv, &g, &w), SL_WAIT);
  sl_oneshot_close(&o, SL_ECLOSED); /* the sender went away */
  sl_engine_run_for(&e, 0);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.statuses[0], SL_ECLOSED);
  int x = 1;
  CHECK_INT(sl_oneshot_send(&o, &x), SL_ECLOSED);
  sl_oneshot_free(&o);
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(oneshot_waiter_gets_the_value_and_may_keep_it) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  dropped = 0;
  int storage;
  sl_oneshot o;
  sl_oneshot_init(&o, &e, &int_ops, &storage);
  got g = {0};
  g.keep = 1;
  sl_chan_waiter *w;
  sl_oneshot_recv(&o, 1000000, on_recv, &g, &w);
  int x = 77;
  sl_oneshot_send(&o, &x);
  sl_engine_run_for(&e, 5000000);
  CHECK_INT(g.n, 1); /* and the timeout did not fire as well */
  CHECK_INT(g.values[0], 77);
  CHECK_INT(dropped, 0); /* kept by the receiver */
  sl_oneshot_free(&o);
  CHECK_INT(sl_engine_close(&e), 0);
}
