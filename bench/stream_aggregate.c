/*
 * stream_aggregate.c -- telemetry samples per second through aggregate().
 *
 * 10,000 drones publish a sample (drone, battery, state, position) every
 * 0.1 s of virtual time for 60 s: 6,000,000 samples pushed into a stream
 * with aggregate(1 s) over drone (distinct), battery (avg/min/max) and state
 * (counts), i.e. the window-plus-aggregate the swarm's telemetry summaries
 * use.  The figure is samples per second of wall time; the check is that
 * every window saw all 10,000 drones and 100,000 samples.
 */
#include <stdio.h>
#include <string.h>

#include "stream/stream.h"

typedef struct sample {
  int64_t drone;
  double t, x, y, z, battery;
  uint8_t state;
} sample;

static const char *const states[] = {"idle", "moving", "patrolling"};
static const sl_field fields[] = {
    {"drone", SL_F_INT, offsetof(sample, drone), NULL, 0},
    {"t", SL_F_NUM, offsetof(sample, t), NULL, 0},
    {"position.x", SL_F_NUM, offsetof(sample, x), NULL, 0},
    {"position.y", SL_F_NUM, offsetof(sample, y), NULL, 0},
    {"position.z", SL_F_NUM, offsetof(sample, z), NULL, 0},
    {"battery", SL_F_NUM, offsetof(sample, battery), NULL, 0},
    {"state", SL_F_CAT, offsetof(sample, state), states, 3},
};
static const sl_schema schema = {"sample", sizeof(sample), fields, 7};

enum { DRONES = 10000, SECONDS = 60 };

typedef struct result {
  int windows, bad;
} result;

static void sink(sl_engine *e, void *ud, sl_item *it) {
  result *r = ud;
  r->windows++;
  if (it->u.agg->distinct != DRONES || it->u.agg->samples != DRONES * 10)
    r->bad++;
}

typedef struct tick {
  sl_timer t;
  sl_stream *s;
  uint64_t pushed, n;
} tick;

static void on_tick(sl_timer *t) {
  tick *k = (tick *)t;
  sample smp;
  memset(&smp, 0, sizeof(smp));
  smp.t = (double)sl_engine_now(t->engine) / 1e6;
  for (int d = 0; d < DRONES; d++) {
    smp.drone = d;
    smp.battery = 100 - (double)((k->n + (uint64_t)d) % 70);
    smp.state = (uint8_t)(d % 3);
    smp.x = d;
    sl_item it;
    sl_item_record(&it, &schema, &smp, sl_engine_now(t->engine));
    sl_stream_push(k->s, &it);
  }
  k->pushed += DRONES;
  k->n++;
}

int main(void) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  result r = {0, 0};
  sl_stream *s = sl_stream_new(&e);
  sl_stream_aggregate(s, 1000000, "drone", "battery", "state");
  sl_stream_sink(s, sink, &r, 64);
  tick k;
  memset(&k, 0, sizeof(k));
  k.s = s;
  sl_timer_init(&e, &k.t);
  sl_timer_start(&k.t, on_tick, 100000, 100000);
  uint64_t t0 = uv_hrtime();
  sl_engine_run_for(&e, (int64_t)SECONDS * 1000000 + 50000);
  double secs = (double)(uv_hrtime() - t0) / 1e9;
  printf("# stream_aggregate: %llu samples from %d drones, %d windows "
         "(%d wrong) in %.3f s\n",
         (unsigned long long)k.pushed, DRONES, r.windows, r.bad, secs);
  printf("bench stream_aggregate %.0f samples/s\n", (double)k.pushed / secs);
  sl_timer_stop(&k.t);
  sl_stream_free(s);
  sl_engine_close(&e);
  return (r.bad || r.windows < SECONDS - 1) ? 1 : 0;
}
