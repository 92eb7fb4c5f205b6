/*
 * mpsc_throughput.c -- messages per second through an mpsc channel from
 * producer threads.
 *
 * The engine runs on the main thread, real clock; 1 or 4 producer threads
 * post 4,000,000 integers in all with sl_mpsc_post (cross-thread: a mutex
 * append and a coalesced uv_async_send); a notify hook on the engine thread
 * reads them as they arrive and checks each producer's sequence.  Timed from
 * the producers' start to the last value read.
 */
#include <stdio.h>
#include <string.h>

#include "chan/mpsc.h"

enum { TOTAL = 4000000 };

typedef struct producer {
  sl_mpsc *ch;
  int index, n;
} producer;

typedef struct consumer {
  sl_mpsc *ch;
  sl_engine *e;
  uint64_t got;
  int64_t last[4];
  int order_ok;
} consumer;

static void produce(void *arg) {
  producer *p = arg;
  for (int i = 1; i <= p->n; i++) {
    int64_t v = ((int64_t)p->index << 40) | i;
    while (sl_mpsc_post(p->ch, &v) != 0)
      ; /* out of memory: retry */
  }
}

static void consume(sl_engine *e, void *ud) {
  consumer *c = ud;
  int64_t v;
  while (sl_mpsc_try_recv(c->ch, &v) == 0) {
    int p = (int)(v >> 40);
    int64_t seq = v & ((1LL << 40) - 1);
    if (seq != c->last[p] + 1)
      c->order_ok = 0;
    c->last[p] = seq;
    c->got++;
  }
  if (c->got == TOTAL)
    sl_engine_stop(e);
}

static int run(int producers) {
  sl_engine e;
  sl_engine_opts o = {SL_CLOCK_REAL, 1, 0, 0, 1.0};
  sl_engine_init(&e, &o);
  static const sl_elem_ops ops = {sizeof(int64_t), NULL, NULL};
  sl_mpsc ch;
  sl_mpsc_init(&ch, &e, &ops, 1 << 16);
  consumer c;
  memset(&c, 0, sizeof(c));
  c.ch = &ch;
  c.e = &e;
  c.order_ok = 1;
  sl_mpsc_set_notify(&ch, consume, &c);
  producer ps[4];
  uv_thread_t th[4];
  uint64_t t0 = uv_hrtime();
  for (int i = 0; i < producers; i++) {
    ps[i] = (producer){&ch, i, TOTAL / producers};
    uv_thread_create(&th[i], produce, &ps[i]);
  }
  while (c.got < TOTAL)
    sl_engine_run_for(&e, 100000);
  double secs = (double)(uv_hrtime() - t0) / 1e9;
  for (int i = 0; i < producers; i++)
    uv_thread_join(&th[i]);
  printf("# mpsc_throughput: %d producer(s), %llu messages in %.3f s, "
         "order %s\n",
         producers, (unsigned long long)c.got, secs,
         c.order_ok ? "kept" : "BROKEN");
  printf("bench mpsc_throughput_%dp %.0f msgs/s\n", producers,
         (double)c.got / secs);
  sl_mpsc_free(&ch);
  sl_engine_close(&e);
  return c.order_ok ? 0 : 1;
}

int main(void) { return run(1) | run(4); }
