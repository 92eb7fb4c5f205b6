/*
 * latency.c -- send and ask latency on an idle real-clock engine.
 *
 * A repeating sl_timer fires every millisecond on a real-clock engine that
 * has nothing else to do, so between samples the loop sleeps in epoll and
 * every sample starts from a cold, idle engine.  Two phases, 10,000 samples
 * each after 200 discarded warm-up samples:
 *
 *   send  the timer callback reads uv_hrtime() and try_sends it, inline in
 *         the message, to an idle actor; the handler subtracts it from its
 *         own uv_hrtime().  The figure spans the send call, the rest of the
 *         timer callback, libuv's trip from its timer phase to the engine's
 *         idle handle, the run queue and the handler call.
 *   ask   the timer callback reads uv_hrtime() and calls sl_actor_ask (with a
 *         1 s timeout, as a real caller would) on an echo actor that answers
 *         with sl_actor_reply; the reply callback subtracts.  The figure spans
 *         the request's delivery, the reply and the deferred callback.
 *
 * Prints `bench send_latency_p99 <us> us` and `bench ask_p99 <us> us`, with
 * the p50 and the maximum of each as `#` lines.  Takes about 20 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/ask.h"

#define SAMPLES 10000
#define WARMUP 200
#define PERIOD_US 1000
#define ASK_TIMEOUT_US 1000000

typedef struct probe {
  sl_id target;
  int ask;   /* phase: 0 send, 1 ask */
  int taken; /* ticks so far, warm-up included */
  int failures;
  uint64_t samples[SAMPLES];
  int n;
} probe;

static probe P;

static void record(probe *p, uint64_t sent_ns) {
  uint64_t d = uv_hrtime() - sent_ns;
  if (p->taken > WARMUP && p->n < SAMPLES)
    p->samples[p->n++] = d;
}

static int sink_handle(sl_actor *self, sl_msg *m) {
  record(sl_actor_state(self), (uint64_t)m->a.i);
  return 0;
}

static int echo_handle(sl_actor *self, sl_msg *m) {
  sl_msg r = *m;
  r.reply = 0;
  return sl_actor_reply(sl_actor_engine(self), m, &r);
}

static const sl_behaviour sink_beh = {"sink", NULL, sink_handle, NULL};
static const sl_behaviour echo_beh = {"echo", NULL, echo_handle, NULL};

static void on_reply(sl_engine *e, void *ud, int status, sl_msg *reply) {
  probe *p = ud;
  if (status != 0) {
    p->failures++;
    return;
  }
  record(p, (uint64_t)reply->a.i);
}

static void tick(sl_timer *t) {
  probe *p = t->data;
  sl_engine *e = t->engine;
  if (p->n >= SAMPLES) {
    sl_timer_stop(t);
    sl_engine_stop(e);
    return;
  }
  p->taken++;
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.a.i = (int64_t)uv_hrtime();
  int rc = p->ask ? sl_actor_ask(e, p->target, &m, ASK_TIMEOUT_US, on_reply, p)
                  : sl_actor_try_send(e, p->target, &m);
  if (rc != 0)
    p->failures++;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double pct_us(const uint64_t *v, int n, int pct) {
  int rank = (n * pct + 99) / 100; /* ceil(n * pct / 100) */
  return (double)v[rank > 0 ? rank - 1 : 0] / 1000.0;
}

/* Runs one phase against `target`; returns 0 or -1. */
static int phase(sl_engine *e, sl_id target, int ask, const char *name) {
  memset(&P, 0, sizeof(P));
  P.target = target;
  P.ask = ask;
  sl_timer t;
  sl_timer_init(e, &t);
  t.data = &P;
  sl_timer_start(&t, tick, PERIOD_US, PERIOD_US);
  /* Generous bound; tick() stops the engine once the samples are in. */
  sl_engine_run_for(e, (int64_t)(SAMPLES + WARMUP) * PERIOD_US * 3);
  sl_timer_stop(&t);
  if (P.n < SAMPLES || P.failures != 0) {
    fprintf(stderr, "latency: %s: %d samples, %d failures\n", name, P.n,
            P.failures);
    return -1;
  }
  qsort(P.samples, (size_t)P.n, sizeof(P.samples[0]), cmp_u64);
  printf("# %s: %d samples, p50 %.2f us, p99 %.2f us, max %.2f us\n", name, P.n,
         pct_us(P.samples, P.n, 50), pct_us(P.samples, P.n, 99),
         (double)P.samples[P.n - 1] / 1000.0);
  printf("bench %s %.2f us\n", name, pct_us(P.samples, P.n, 99));
  fflush(stdout);
  return 0;
}

int main(void) {
  sl_engine e;
  sl_engine_opts opts = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  if (sl_engine_init(&e, &opts) != 0) {
    fprintf(stderr, "latency: engine init failed\n");
    return 1;
  }
  sl_id sink, echo;
  if (sl_actor_spawn(&e, &sink_beh, &P, NULL, &sink) != 0 ||
      sl_actor_spawn(&e, &echo_beh, NULL, NULL, &echo) != 0) {
    fprintf(stderr, "latency: spawn failed\n");
    return 1;
  }
  int rc = phase(&e, sink, 0, "send_latency_p99");
  if (rc == 0)
    rc = phase(&e, echo, 1, "ask_p99");
  sl_engine_close(&e);
  return rc == 0 ? 0 : 1;
}
