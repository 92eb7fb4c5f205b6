/*
 * ring.c -- message throughput: one token passed around a ring of actors.
 *
 * 1,000 actors, each knowing the id of the next, pass a single token whose
 * inline payload counts the hops still to go; the last receiver drops it.
 * 10 million deliveries in all, on a virtual-clock engine on one thread, so
 * what is timed is exactly the runtime's hot path: try_send (slab lookup,
 * mailbox push, run-queue push) and the turn (run-queue pop, slab lookup,
 * mailbox pop, handler call).  Only one message is ever in flight, so this
 * is the latency-bound worst case of the scheduler, not a batching best case.
 *
 * A short untimed run warms the caches and the mailbox chunk pool; then three
 * timed laps of 10 million run and the median is reported (the machine has
 * two cores shared with other work, and the median keeps one descheduled lap
 * from deciding the figure; all three are printed on a `#` line).  The
 * engine is driven with run_for (one virtual second: no timer is armed, so it
 * returns as soon as the run queue is empty) because sl_engine_run on a
 * virtual clock with no timer armed never returns.
 *
 * Prints `bench ring <messages per second> msgs/s`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/actor.h"

#define RING_SIZE 1000
#define HOPS 10000000
#define WARMUP_HOPS 200000
#define LAPS 3

typedef struct node {
  sl_id next;
} node;

static node nodes[RING_SIZE];
static uint64_t delivered;

static int node_handle(sl_actor *self, sl_msg *m) {
  node *n = sl_actor_state(self);
  delivered++;
  if (m->a.i > 1) {
    sl_msg fwd = *m;
    fwd.a.i--;
    return sl_actor_try_send(sl_actor_engine(self), n->next, &fwd);
  }
  return 0;
}

static const sl_behaviour node_beh = {"ring", NULL, node_handle, NULL};

/* Sends a token good for `hops` deliveries into the ring and runs the engine
 * until it is gone.  Returns the elapsed wall time in nanoseconds. */
static uint64_t lap(sl_engine *e, sl_id first, int64_t hops) {
  sl_msg tok;
  memset(&tok, 0, sizeof(tok));
  tok.a.i = hops;
  uint64_t t0 = uv_hrtime();
  if (sl_actor_try_send(e, first, &tok) != 0) {
    fprintf(stderr, "ring: cannot inject the token\n");
    exit(1);
  }
  /* run_for, not sl_engine_run: see the note in main(). */
  sl_engine_run_for(e, 1000000);
  return uv_hrtime() - t0;
}

int main(void) {
  sl_engine e;
  sl_engine_opts opts = {SL_CLOCK_VIRTUAL, 1, 0, 0, 1.0};
  if (sl_engine_init(&e, &opts) != 0) {
    fprintf(stderr, "ring: engine init failed\n");
    return 1;
  }
  sl_id ids[RING_SIZE];
  for (int i = 0; i < RING_SIZE; i++) {
    if (sl_actor_spawn(&e, &node_beh, &nodes[i], NULL, &ids[i]) != 0) {
      fprintf(stderr, "ring: spawn failed\n");
      return 1;
    }
  }
  for (int i = 0; i < RING_SIZE; i++)
    nodes[i].next = ids[(i + 1) % RING_SIZE];

  lap(&e, ids[0], WARMUP_HOPS);
  uint64_t ns[LAPS];
  for (int i = 0; i < LAPS; i++) {
    delivered = 0;
    ns[i] = lap(&e, ids[0], HOPS);
    if (delivered != HOPS) {
      fprintf(stderr, "ring: %llu deliveries, expected %d\n",
              (unsigned long long)delivered, HOPS);
      return 1;
    }
  }
  printf("# ring: %d actors, %d hops per lap, laps", RING_SIZE, HOPS);
  for (int i = 0; i < LAPS; i++)
    printf(" %.1f", (double)ns[i] / 1e6);
  printf(" ms\n");
  /* Median of the laps (insertion sort: three values). */
  for (int i = 1; i < LAPS; i++)
    for (int j = i; j > 0 && ns[j] < ns[j - 1]; j--) {
      uint64_t t = ns[j];
      ns[j] = ns[j - 1];
      ns[j - 1] = t;
    }
  uint64_t med = ns[LAPS / 2];
  printf("# ring: median lap %.1f ns/hop\n", (double)med / HOPS);
  printf("bench ring %.0f msgs/s\n", (double)HOPS / ((double)med / 1e9));
  sl_engine_close(&e);
  return 0;
}
