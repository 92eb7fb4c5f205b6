/*
 * broadcast_fanout.c -- one publisher, 1,000 subscribers.
 *
 * Each subscriber is a broadcast receiver with a notify hook (as a stream's
 * source has) that reads everything new when it runs.  The swarm's events
 * no longer travel on a broadcast channel (bench/lua_events.c and
 * lua_event_subs.c measure them).  A round
 * publishes 1,000 values, then lets the run queue deliver them: every
 * subscriber reads all 1,000.  The figure is values read per second of wall
 * time, over 20 rounds (20 million deliveries), virtual clock, one thread.
 */
#include <stdio.h>

#include "chan/broadcast.h"

enum { SUBS = 1000, PER_ROUND = 1000, ROUNDS = 20 };

typedef struct sub {
  sl_bcast_rx *rx;
  uint64_t got, sum;
} sub;

static void drain(sl_engine *e, void *ud) {
  (void)e;
  sub *s = ud;
  int64_t v;
  while (sl_bcast_try_recv(s->rx, &v) == 0) {
    s->got++;
    s->sum += (uint64_t)v;
  }
}

int main(void) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  static const sl_elem_ops ops = {sizeof(int64_t), NULL, NULL};
  sl_bcast ch;
  sl_bcast_init(&ch, &e, &ops, PER_ROUND);
  static sub subs[SUBS];
  for (int i = 0; i < SUBS; i++) {
    subs[i].rx = sl_bcast_subscribe(&ch);
    sl_bcast_rx_set_notify(subs[i].rx, drain, &subs[i]);
  }
  uint64_t t0 = uv_hrtime();
  int64_t v = 0;
  for (int r = 0; r < ROUNDS; r++) {
    for (int k = 0; k < PER_ROUND; k++) {
      v++;
      sl_bcast_publish(&ch, &v);
    }
    sl_engine_run_for(&e, 0);
  }
  double secs = (double)(uv_hrtime() - t0) / 1e9;
  uint64_t total = 0, lagged = 0;
  for (int i = 0; i < SUBS; i++) {
    total += subs[i].got;
    lagged += subs[i].rx->lagged;
  }
  uint64_t want = (uint64_t)SUBS * PER_ROUND * ROUNDS;
  printf("# broadcast_fanout: %d subscribers, %llu deliveries in %.3f s, "
         "%llu lagged\n",
         SUBS, (unsigned long long)total, secs, (unsigned long long)lagged);
  if (total != want) {
    printf("# broadcast_fanout: expected %llu deliveries\n",
           (unsigned long long)want);
    return 1;
  }
  printf("bench broadcast_fanout %.0f deliveries/s\n", (double)total / secs);
  for (int i = 0; i < SUBS; i++)
    sl_bcast_unsubscribe(subs[i].rx);
  sl_bcast_free(&ch);
  sl_engine_close(&e);
  return 0;
}
