/*
 * engine.c -- engine lifecycle, the run queue, and the two ways to run:
 * stepping virtual time, or driving libuv's loop on the real clock.
 *
 * Real clock: three of the engine's own handles do the work.
 *   wake      a uv_timer armed for the earliest sl_timer; fires them.
 *   idle      active only while the run queue is non-empty, so poll does not
 *             block while there is work; drains a bounded batch per loop
 *             iteration so I/O callbacks are not starved.
 *   async     wakes the loop for posts from other threads (unreferenced, so
 *             it alone does not keep the loop alive).
 * A fourth, `deadline`, bounds run_for.
 */
#include "engine.h"

#include <stdatomic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "ask.h"

/* Real clock: one idle pass runs at most this many runnables, this many
 * messages, or this much wall time, then hands the loop back so timers and
 * I/O run.  A turn handles up to `batch` messages and a Lua message costs
 * about a microsecond, so runnables alone would let one pass of an actor
 * that keeps messaging itself take half a second. */
#define REAL_DRAIN_LIMIT 4096
#define REAL_DRAIN_MSGS 4096
#define REAL_DRAIN_NS 1000000u

static void idle_cb(uv_idle_t *h) {
  sl_engine *e = h->data;
  uint64_t msgs = e->msgs_received, t0 = uv_hrtime();
  e->epoch++; /* the real clock has moved since the last pass */
  for (size_t n = 0; n < REAL_DRAIN_LIMIT && e->rq_len > 0; n += 16) {
    sl__engine_drain(e, 16);
    if (e->msgs_received - msgs >= REAL_DRAIN_MSGS ||
        uv_hrtime() - t0 >= REAL_DRAIN_NS)
      break;
  }
  if (e->rq_len == 0 && e->idle_active) {
    uv_idle_stop(&e->idle);
    e->idle_active = 0;
  }
}

static void wake_cb(uv_timer_t *h) {
  sl_engine *e = h->data;
  sl__timers_run(e, sl_engine_now(e));
  sl__engine_timers_changed(e);
}

static void deadline_cb(uv_timer_t *h) {
  sl_engine *e = h->data;
  uv_stop(&e->loop);
}

static void async_cb(uv_async_t *h) { sl__xpost_drain(h->data); }

static int loop_init(sl_engine *e) {
  int rc = uv_loop_init(&e->loop);
  if (rc != 0)
    return rc;
  uv_idle_init(&e->loop, &e->idle);
  uv_timer_init(&e->loop, &e->wake);
  uv_timer_init(&e->loop, &e->deadline);
  uv_async_init(&e->loop, &e->async, async_cb);
  e->idle.data = e->wake.data = e->deadline.data = e->async.data = e;
  uv_unref((uv_handle_t *)&e->async);
  e->loop_ready = 1;
  if (e->clock == SL_CLOCK_REAL) {
    sl__engine_timers_changed(e);
    if (e->rq_len > 0) {
      uv_idle_start(&e->idle, idle_cb);
      e->idle_active = 1;
    }
  }
  return 0;
}

int sl_engine_init(sl_engine *e, const sl_engine_opts *opts) {
  static const sl_engine_opts defaults = {SL_CLOCK_VIRTUAL, 1, 0, 0, 1.0};
  if (opts == NULL)
    opts = &defaults;
  memset(e, 0, sizeof(*e));
  e->clock = opts->clock;
  e->speed = opts->speed > 0 ? opts->speed : 1.0;
  e->origin_ns = uv_hrtime();
  e->batch = opts->batch ? opts->batch : 64;
  e->mailbox = opts->mailbox ? opts->mailbox : 64;
  e->livelock = SL_LIVELOCK_LIMIT;
  sl_slab_init(&e->actors, sizeof(sl_actor));
  sl_slab_init(&e->asks, sizeof(sl_ask));
  sl_slab_init(&e->monitors, sl__monitor_size());
  sl_mpool_init(&e->mpool, 4096);
  sl_rng_seed(&e->rng, opts->seed);
  sl__xpost_init(e);
  if (e->clock == SL_CLOCK_REAL) {
    int rc = loop_init(e);
    if (rc != 0) {
      sl__xpost_close(e);
      return rc;
    }
  }
  return 0;
}

uv_loop_t *sl_engine_loop(sl_engine *e) {
  if (!e->loop_ready && loop_init(e) != 0)
    return NULL;
  return &e->loop;
}

int sl_engine_close(sl_engine *e) {
  int rc = 0;
  e->running = 1; /* callbacks run from here on may not nest run_for */
  if (e->actors.live > 0 || !e->closing)
    sl_engine_shutdown(e, 0);
  /* Callbacks run while draining may start timers or asks again (a Lua task
   * woken by a failed ask may sleep): settle until nothing is left, so no
   * timer outlives the heap it points into. */
  for (int round = 0; round < 1000; round++) {
    sl__ask_fail_all(e, SL_ESTOPPED);
    sl__timers_stop_all(e);
    sl__xpost_drain(e);
    sl__engine_drain(e, SIZE_MAX);
    if (e->rq_len == 0 && e->timers.len == 0 && e->asks.live == 0 &&
        atomic_load(&e->xpending) == 0)
      break;
  }
  if (e->loop_ready) {
    uv_close((uv_handle_t *)&e->idle, NULL);
    uv_close((uv_handle_t *)&e->wake, NULL);
    uv_close((uv_handle_t *)&e->deadline, NULL);
    uv_close((uv_handle_t *)&e->async, NULL);
    uv_run(&e->loop, UV_RUN_NOWAIT); /* runs the close callbacks */
    rc = uv_loop_close(&e->loop);
    e->loop_ready = 0;
  }
  e->closed = 1;
  sl__xpost_close(e);
  sl__theap_close(&e->timers);
  free(e->rq);
  e->rq = NULL;
  e->rq_len = e->rq_cap = 0;
  sl_slab_close(&e->actors);
  sl_slab_close(&e->asks);
  sl_slab_close(&e->monitors);
  sl_mpool_close(&e->mpool);
  return rc;
}

static int rq_grow(sl_engine *e) {
  uint32_t cap = e->rq_cap ? e->rq_cap * 2 : 256;
  sl_runnable *v = malloc(cap * sizeof(*v));
  if (v == NULL)
    return SL_ENOMEM;
  for (uint32_t i = 0; i < e->rq_len; i++)
    v[i] = e->rq[(e->rq_head + i) & (e->rq_cap - 1)];
  free(e->rq);
  e->rq = v;
  e->rq_cap = cap;
  e->rq_head = 0;
  return 0;
}

int sl__engine_push(sl_engine *e, sl_run_fn fn, void *ud, uintptr_t arg) {
  if (e->closed)
    return SL_ECLOSED;
  if (e->rq_len == e->rq_cap && rq_grow(e) != 0)
    return SL_ENOMEM;
  sl_runnable *r = &e->rq[(e->rq_head + e->rq_len) & (e->rq_cap - 1)];
  r->fn = fn;
  r->ud = ud;
  r->arg = arg;
  e->rq_len++;
  if (!e->idle_active && e->clock == SL_CLOCK_REAL && e->loop_ready) {
    uv_idle_start(&e->idle, idle_cb);
    e->idle_active = 1;
  }
  return 0;
}

int sl_engine_defer(sl_engine *e, sl_run_fn fn, void *ud, uintptr_t arg) {
  return sl__engine_push(e, fn, ud, arg);
}

size_t sl__engine_drain(sl_engine *e, size_t limit) {
  size_t n = 0;
  while (e->rq_len > 0 && n < limit) {
    sl_runnable r = e->rq[e->rq_head];
    e->rq_head = (e->rq_head + 1) & (e->rq_cap - 1);
    e->rq_len--;
    r.fn(e, r.ud, r.arg);
    n++;
  }
  return n;
}

int sl_engine_set_speed(sl_engine *e, double speed) {
  if (e->clock != SL_CLOCK_REAL || !(speed >= 0) || speed > 1e6)
    return SL_EINVAL;
  e->base_us = sl_engine_now(e);
  e->origin_ns = uv_hrtime();
  e->speed = speed;
  sl__engine_timers_changed(e);
  return 0;
}

/* Wall milliseconds until engine time has advanced by `us` (a paused
 * clock: a poll every 50 ms, so a resume is seen). */
static uint64_t wall_ms(const sl_engine *e, int64_t us) {
  if (e->speed <= 0)
    return 50;
  return (uint64_t)ceil((double)us / e->speed / 1000.0);
}

void sl__engine_timers_changed(sl_engine *e) {
  if (e->clock != SL_CLOCK_REAL || !e->loop_ready)
    return;
  int64_t due = sl__timers_next_due(e);
  if (due == INT64_MAX || e->speed <= 0) {
    uv_timer_stop(&e->wake);
    return;
  }
  int64_t now = sl_engine_now(e);
  /* Never 0: libuv (1.44) re-runs, within the same pass, a timer whose
   * timeout is not past the loop time, so an engine behind schedule would
   * re-arm and re-run wake_cb forever and never reach its deadline.  When
   * timers are overdue they run on the next iteration instead. */
  uint64_t ms = due > now ? wall_ms(e, due - now) : 1;
  uv_update_time(&e->loop);
  uv_timer_start(&e->wake, wake_cb, ms ? ms : 1, 0);
}

int sl__engine_step(sl_engine *e, int64_t deadline) {
  sl__xpost_drain(e);
  if (e->loop_ready)
    uv_run(&e->loop, UV_RUN_NOWAIT);
  sl__engine_drain(e, SIZE_MAX);
  if (e->stop_requested)
    return 0;
  int64_t due = sl__timers_next_due(e);
  if (due == INT64_MAX || due > deadline) /* no timer, or none in time */
    return 0;
  if (due > e->now) {
    e->now = due;
    e->epoch++; /* livelock counts start again */
  }
  sl__timers_run(e, e->now);
  sl__engine_drain(e, SIZE_MAX);
  return 1;
}

void sl__engine_run_real(sl_engine *e, int64_t dt_us) {
  sl__engine_timers_changed(e);
  if (dt_us == 0) {
    uv_run(&e->loop, UV_RUN_NOWAIT);
    return;
  }
  /* libuv's loop time is in whole milliseconds: re-arm the deadline for what
   * is left until the microsecond clock says we are there. */
  int64_t end = sl_engine_now(e) + dt_us;
  while (!e->stop_requested) {
    int64_t left = end - sl_engine_now(e);
    if (left <= 0)
      break;
    uv_update_time(&e->loop);
    uv_timer_start(&e->deadline, deadline_cb, wall_ms(e, left), 0);
    uv_run(&e->loop, UV_RUN_DEFAULT);
  }
  uv_timer_stop(&e->deadline);
}

int sl_engine_run_for(sl_engine *e, int64_t dt_us) {
  if (dt_us < 0)
    return SL_EINVAL;
  if (e->running || e->depth > 0)
    return SL_EBUSY;
  e->running = 1;
  e->stop_requested = 0;
  if (e->clock == SL_CLOCK_VIRTUAL) {
    int64_t deadline = e->now + dt_us;
    while (sl__engine_step(e, deadline))
      ;
    if (!e->stop_requested && e->now < deadline) {
      e->now = deadline;
      e->epoch++;
    }
  } else {
    sl__engine_run_real(e, dt_us);
  }
  e->running = 0;
  return 0;
}

int sl_engine_run(sl_engine *e) {
  if (e->running || e->depth > 0)
    return SL_EBUSY;
  e->running = 1;
  e->stop_requested = 0;
  if (e->clock == SL_CLOCK_VIRTUAL) {
    while (sl__engine_step(e, INT64_MAX))
      ;
  } else {
    sl__engine_timers_changed(e);
    uv_run(&e->loop, UV_RUN_DEFAULT);
  }
  e->running = 0;
  return 0;
}

void sl_engine_stop(sl_engine *e) {
  e->stop_requested = 1;
  if (e->loop_ready)
    uv_stop(&e->loop);
}
