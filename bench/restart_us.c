/*
 * restart_us.c -- time to restart a crashed child.
 *
 * A one_for_one supervisor with one C child.  Each round sends the child a
 * message that makes its handler return an error (a crash); the time runs
 * from that send to the replacement child's start function returning, which
 * covers the crash, the down notice, the supervisor's decision and the new
 * spawn.  10,000 rounds on a virtual-clock engine; reports the median (and
 * p99 on a # line) in microseconds.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt/supervisor.h"

enum { ROUNDS = 10000 };

static int crash_handle(sl_actor *self, sl_msg *m) { return SL_ECRASHED; }
static const sl_behaviour child = {"child", NULL, crash_handle, NULL};

typedef struct clock_ctx {
  uint64_t started_at;
  int starts;
} clock_ctx;

static int start_child(sl_engine *e, void *ud, sl_id sup, sl_id *out) {
  clock_ctx *c = ud;
  sl_spawn_opts o = {0, sup, NULL};
  int rc = sl_actor_spawn(e, &child, NULL, &o, out);
  c->started_at = uv_hrtime();
  c->starts++;
  return rc;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  clock_ctx c = {0, 0};
  sl_child_spec kid = {"worker", start_child, &c, SL_PERMANENT, 0};
  sl_sup_spec spec = {"sup", SL_ONE_FOR_ONE, ROUNDS + 10, 1000000000LL,
                      &kid, 1, {NULL, NULL, NULL, NULL, NULL}};
  sl_id sup;
  if (sl_supervisor_start(&e, &spec, SL_ID_NONE, &sup) != 0)
    return 1;
  static double us[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    sl_id w = sl_supervisor_child(&e, sup, "worker");
    sl_msg m = {0};
    uint64_t t0 = uv_hrtime();
    sl_actor_try_send(&e, w, &m);
    sl_engine_run_for(&e, 0);
    us[i] = (double)(c.started_at - t0) / 1e3;
  }
  int restarts = c.starts - 1;
  qsort(us, ROUNDS, sizeof(double), cmp);
  printf("# restart_us: %d restarts, median %.2f us, p99 %.2f us, max %.2f "
         "us\n",
         restarts, us[ROUNDS / 2], us[ROUNDS * 99 / 100], us[ROUNDS - 1]);
  printf("bench restart_us %.2f us\n", us[ROUNDS / 2]);
  sl_engine_close(&e);
  return restarts == ROUNDS ? 0 : 1;
}
