/*
 * where_filter.c -- telemetry samples per second through a `where`.
 *
 * The filter language compiles `battery < 50 and state == patrolling` to a
 * predicate (stream/pred.h) that reads the sample through its schema; the
 * comparison is the same stream with a hand-written C function reading the
 * struct's members directly.  10,000 drones publish a sample every 0.1 s of
 * virtual time for 60 s (6,000,000 samples) into each stream; a sink counts
 * what passes.  Both must pass the same count.  Figures: the samples per
 * second of each, and how many times slower the compiled one is (target:
 * within 2x).
 */
#include <stdio.h>
#include <string.h>

#include "stream/pred.h"
#include "stream/stream.h"
#include "swarm/swarm.h"

/* The swarm's own sample and schema, so the compiled predicate reads what
 * swarm telemetry gives it. */
static const uint8_t states[] = {SL_DS_IDLE, SL_DS_MOVING, SL_DS_PATROLLING};

enum { DRONES = 10000, SECONDS = 60 };

static int hand_written(void *ud, const sl_item *it) {
  (void)ud;
  const sl_sample *s = (const sl_sample *)it->u.rec.data;
  return s->battery < 50 && s->state == SL_DS_PATROLLING;
}

static void count(sl_engine *e, void *ud, sl_item *it) {
  (void)e;
  (void)it;
  (*(uint64_t *)ud)++;
}

typedef struct tick {
  sl_timer t;
  sl_stream *s;
  uint64_t pushed, n;
} tick;

static void on_tick(sl_timer *t) {
  tick *k = (tick *)t;
  sl_sample smp;
  memset(&smp, 0, sizeof(smp));
  smp.t = (double)sl_engine_now(t->engine) / 1e6;
  for (int d = 0; d < DRONES; d++) {
    smp.drone = d;
    smp.battery = 100 - (int64_t)((k->n + (uint64_t)d) % 100);
    smp.state = states[(k->n + (uint64_t)d / 7) % 3];
    smp.px = d;
    sl_item it;
    sl_item_record(&it, &sl_sample_schema, &smp, sl_engine_now(t->engine));
    sl_stream_push(k->s, &it);
  }
  k->pushed += DRONES;
  k->n++;
}

/* Runs one stream; returns samples per second, sets *passed. */
static double run(int compiled, uint64_t *passed) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_stream *s = sl_stream_new(&e);
  if (compiled) {
    sl_pred *p = sl_pred_new();
    sl_pred_add(p, "battery", SL_OP_LT, NULL, 50);
    sl_pred_add(p, "state", SL_OP_EQ, "patrolling", 0);
    sl_stream_where(s, sl_pred_item, p, (void (*)(void *))sl_pred_release);
  } else {
    sl_stream_where(s, hand_written, NULL, NULL);
  }
  *passed = 0;
  sl_stream_sink(s, count, passed, 1u << 20);
  tick k;
  memset(&k, 0, sizeof(k));
  k.s = s;
  sl_timer_init(&e, &k.t);
  sl_timer_start(&k.t, on_tick, 100000, 100000);
  uint64_t t0 = uv_hrtime();
  sl_engine_run_for(&e, (int64_t)SECONDS * 1000000 + 50000);
  double secs = (double)(uv_hrtime() - t0) / 1e9;
  sl_timer_stop(&k.t);
  sl_stream_free(s);
  sl_engine_close(&e);
  printf("# where_filter %s: %llu samples, %llu passed, %.3f s\n",
         compiled ? "compiled" : "hand-written C", (unsigned long long)k.pushed,
         (unsigned long long)*passed, secs);
  return (double)k.pushed / secs;
}

int main(void) {
  uint64_t pc = 0, ph = 0;
  double hand = 0, comp = 0;
  for (int i = 0; i < 3; i++) { /* best of three, alternating */
    double h = run(0, &ph), c = run(1, &pc);
    hand = h > hand ? h : hand;
    comp = c > comp ? c : comp;
  }
  printf("bench where_filter %.0f samples/s\n", comp);
  printf("bench where_filter_c %.0f samples/s\n", hand);
  printf("bench where_filter_slowdown %.2f x\n", hand / comp);
  return pc == ph && pc > 0 ? 0 : 1;
}
