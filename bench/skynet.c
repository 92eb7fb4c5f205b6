/*
 * skynet.c -- spawn cost: the "skynet 1M" tree of 1,111,111 actors.
 *
 * The root spawns 10 children, each of those 10 more, down six levels to
 * 1,000,000 leaves (1,111,111 actors, every one a real sl_actor_spawn).  A
 * leaf sends its ordinal (0 .. 999,999) to its parent and stops; a parent
 * adds up its 10 children's messages, sends the sum to its parent and stops;
 * the root's sum must be 499999500000.  As in the original (where each
 * goroutine starts its children before reading their results), an actor
 * spawns its children in on_start, so the tree is built depth first on the C
 * stack while the sums flow back through mailboxes and the run queue.  A
 * leaf's slot is freed as soon as its on_start returns, so the peak of live
 * actors is about the 111,111 parents, not the whole tree; but every parent
 * holds its children's 10 messages until the run queue reaches it, so about
 * a million messages are in mailboxes at the peak.  The parents take their
 * state from one preallocated array, written once before the clock starts so
 * its page faults are not counted; leaves need no state.  The time covers
 * the first spawn to the last message, on a virtual-clock engine.
 *
 * Prints `bench skynet <ms> ms` and a `#` line with the counts (spawned,
 * peak live, live at the end, messages); exits 1 on a wrong sum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt/actor.h"

#define LEAVES 1000000
#define FANOUT 10
#define ACTORS 1111111 /* 1 + 10 + ... + 10^6 */
#define PARENTS 111111 /* 1 + 10 + ... + 10^5 */
#define EXPECTED 499999500000LL

typedef struct node {
  int64_t sum;
  int32_t pending; /* children still to report */
} node;

/* What a parent hands its child's on_start. */
typedef struct spawn_arg {
  int64_t num;  /* first ordinal of the subtree */
  int64_t size; /* leaves in the subtree */
} spawn_arg;

static node *states;
static uint32_t next_state, spawned, peak_live;
static int64_t result = -1;
static int failures;

static int node_start(sl_actor *self, void *varg);
static int node_handle(sl_actor *self, sl_msg *m);
static const sl_behaviour node_beh = {"skynet", node_start, node_handle, NULL};

/* Sends v to the parent, or records it as the result at the root. */
static void report(sl_actor *self, int64_t v) {
  if (self->parent == SL_ID_NONE) {
    result = v;
    return;
  }
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.a.i = v;
  if (sl_actor_try_send(sl_actor_engine(self), self->parent, &m) != 0)
    failures++;
}

static int node_start(sl_actor *self, void *varg) {
  const spawn_arg *arg = varg;
  sl_engine *e = sl_actor_engine(self);
  spawned++;
  if (sl_actor_count(e) > peak_live)
    peak_live = sl_actor_count(e);
  if (arg->size == 1) {
    report(self, arg->num);
    sl_actor_stop(e, sl_actor_id(self), SL_EXIT_NORMAL);
    return 0;
  }
  node *n = sl_actor_state(self);
  n->sum = 0;
  n->pending = FANOUT;
  spawn_arg child = {0, arg->size / FANOUT};
  sl_spawn_opts opts = {0, sl_actor_id(self), &child};
  for (int i = 0; i < FANOUT; i++) {
    sl_id id;
    node *st = child.size > 1 ? &states[next_state++] : NULL;
    child.num = arg->num + i * child.size;
    if (sl_actor_spawn(e, &node_beh, st, &opts, &id) != 0)
      failures++;
  }
  return 0;
}

static int node_handle(sl_actor *self, sl_msg *m) {
  node *n = sl_actor_state(self);
  n->sum += m->a.i;
  if (--n->pending == 0) {
    report(self, n->sum);
    sl_actor_stop(sl_actor_engine(self), sl_actor_id(self), SL_EXIT_NORMAL);
  }
  return 0;
}

int main(void) {
  states = malloc(PARENTS * sizeof(*states));
  if (states == NULL) {
    fprintf(stderr, "skynet: out of memory\n");
    return 1;
  }
  memset(states, 0xff, PARENTS * sizeof(*states)); /* fault the pages in */
  sl_engine e;
  sl_engine_opts opts = {SL_CLOCK_VIRTUAL, 1, 0, 0, 1.0};
  if (sl_engine_init(&e, &opts) != 0) {
    fprintf(stderr, "skynet: engine init failed\n");
    return 1;
  }

  struct timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  uint64_t t0 = uv_hrtime();
  spawn_arg root = {0, LEAVES};
  sl_spawn_opts ropts = {0, SL_ID_NONE, &root};
  sl_id id;
  int rc = sl_actor_spawn(&e, &node_beh, &states[next_state++], &ropts, &id);
  /* run_for rather than sl_engine_run, which never returns on a virtual
   * clock with no timer armed. */
  if (rc == 0)
    sl_engine_run_for(&e, 1000000);
  uint64_t ns = uv_hrtime() - t0;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  double cpu_ms = (double)(c1.tv_sec - c0.tv_sec) * 1e3 +
                  (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;

  printf("# skynet: %u actors spawned, peak %u live, %u live at the end, "
         "%llu messages\n",
         spawned, peak_live, sl_actor_count(&e),
         (unsigned long long)e.msgs_received);
  printf("# skynet: %.1f ms of CPU time (user + sys) in the timed part\n",
         cpu_ms);
  if (rc != 0 || failures != 0 || spawned != ACTORS || next_state != PARENTS ||
      result != EXPECTED) {
    fprintf(stderr,
            "skynet: sum %lld (expected %lld), %u spawned, %d failures, "
            "root spawn rc %d\n",
            (long long)result, EXPECTED, spawned, failures, rc);
    return 1;
  }
  printf("bench skynet %.1f ms\n", (double)ns / 1e6);
  sl_engine_close(&e);
  free(states);
  return 0;
}
