/*
 * engine.h -- one engine per thread: the loop, the clock, the run queue.
 *
 * An engine owns everything an actor system needs on one thread: a clock, a
 * timer heap, the run queue of ready work, the actor table, the mailbox chunk
 * pool, a seeded random generator and (in real-clock mode, or when someone
 * asks for it) a libuv loop.  Nothing lives in globals, so two engines can
 * run in one process, each on its own thread.
 *
 * The clock is real or virtual.  Real: libuv's loop runs, timers fire from a
 * uv_timer armed at the earliest due time, ready actors run from a uv_idle
 * handle that is active only while there is work.  Virtual: libuv is not
 * involved; run_for() drains the run queue, jumps the clock to the next timer,
 * fires it, and so on until the deadline -- no sleeping, and since the run
 * queue and the timer heap are both FIFO for equal keys, the same inputs give
 * the same run.
 *
 *   run_for (virtual)
 *     +--> drain run queue (actor turns, deferred calls) until empty
 *     |    next timer due <= deadline ?  no --> clock = deadline, return
 *     |    clock = due; fire every timer due now
 *     +----+
 */
#ifndef SL_ENGINE_H
#define SL_ENGINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "error.h"
#include "mailbox.h"
#include "msg.h"
#include "rng.h"
#include "slab.h"
#include "timer.h"

typedef enum sl_clock_kind {
  SL_CLOCK_VIRTUAL = 0,
  SL_CLOCK_REAL = 1,
} sl_clock_kind;

typedef struct sl_engine_opts {
  sl_clock_kind clock;
  uint64_t seed;
  uint32_t batch;   /* messages an actor handles per turn; 0: 64 */
  uint32_t mailbox; /* default mailbox bound; 0: 64 */
  double speed;     /* real clock: engine seconds per wall second; 0: 1 */
} sl_engine_opts;

/* Virtual clock: the messages one actor may handle, or the resumes one
 * task may take, at one instant (since the clock last moved): one more is
 * a livelock that would keep the clock from ever moving, and fails it with
 * SL_EBUDGET (API.md's amendments).  The engine's `livelock` field holds
 * the limit (tests lower it). */
#define SL_LIVELOCK_LIMIT 10000000u

/* A unit of ready work: an actor's turn or a deferred continuation. */
typedef void (*sl_run_fn)(sl_engine *e, void *ud, uintptr_t arg);
typedef struct sl_runnable {
  sl_run_fn fn;
  void *ud;
  uintptr_t arg;
} sl_runnable;

typedef struct sl_xitem sl_xitem;
typedef struct sl_actor sl_actor;

struct sl_engine {
  sl_clock_kind clock;
  int64_t now; /* µs since init: the virtual clock, or the last real reading */
  uint64_t origin_ns;
  double speed; /* real clock: engine seconds per wall second (1: real time) */
  int64_t base_us; /* real clock: engine time at origin_ns (speed changes) */

  sl_theap timers;

  sl_runnable *rq; /* ring buffer */
  uint32_t rq_head, rq_len, rq_cap;
  uint32_t batch, mailbox;

  sl_slab actors;
  sl_actor *first, *last; /* live actors in spawn order */
  sl_mpool mpool;
  sl_slab asks;
  sl_slab monitors;
  sl_rng rng;

  /* Cross-thread posting (xpost.c). */
  uv_mutex_t xmu;
  sl_xitem *xitems, *xspare;
  size_t xlen, xcap, xspare_cap;
  atomic_int xpending;
  int xdraining;

  /* libuv: the loop is initialised in real mode, or on demand in virtual
   * mode (sl_engine_loop) for I/O such as a control socket. */
  uv_loop_t loop;
  uv_idle_t idle;
  uv_timer_t wake, deadline;
  uv_async_t async;
  unsigned loop_ready : 1;
  unsigned idle_active : 1;
  unsigned stop_requested : 1;
  unsigned closing : 1;   /* shutdown began: no new actors */
  unsigned closed : 1;    /* sl_engine_close ran: no more work at all */
  unsigned running : 1;   /* inside run_for */
  int depth;              /* actor handlers on the C stack right now */

  uint64_t msgs_sent, msgs_received;
  /* Livelocks: the clock's moves so far (an actor's or a task's count
   * restarts when this changes; on the real clock every idle pass is one),
   * the limit (initially SL_LIVELOCK_LIMIT), and how many actors were
   * failed for it. */
  uint32_t epoch, livelock;
  uint64_t livelocks;
  void *data; /* the embedder's (the Lua binding keeps its swarm here) */
};

/* Sets up an engine in caller-owned memory (it must not move afterwards).
 * opts may be NULL for a virtual clock, seed 1.  Returns 0, SL_ENOMEM, or a
 * libuv error from creating the loop. */
int sl_engine_init(sl_engine *e, const sl_engine_opts *opts);

/* Shuts the engine down if that has not happened (timeout 0), frees every
 * resource and closes the loop.  Returns 0, or UV_EBUSY if a handle that is
 * not the engine's own is still open on the loop. */
int sl_engine_close(sl_engine *e);

/* Microseconds since sl_engine_init on the engine's clock (on the real
 * clock, wall time times the engine's speed). */
static inline int64_t sl_engine_now(sl_engine *e) {
  if (e->clock == SL_CLOCK_REAL) {
    uint64_t ns = uv_hrtime() - e->origin_ns;
    e->now = e->base_us + (e->speed == 1.0
                               ? (int64_t)(ns / 1000u)
                               : (int64_t)((double)ns / 1000.0 * e->speed));
  }
  return e->now;
}

/* Real clock: from now on, `speed` engine seconds per wall second; 0
 * pauses the clock (timers wait), until another call.  SL_EINVAL on the
 * virtual clock or for a speed < 0. */
int sl_engine_set_speed(sl_engine *e, double speed);

/* Runs the engine for `dt_us`: virtual time jumps through due timers
 * instantly; real time runs the libuv loop for that long.  Returns early,
 * with 0, after sl_engine_stop().  Returns SL_EBUSY when called from inside
 * the engine (a handler or timer callback), SL_EINVAL for a negative dt. */
int sl_engine_run_for(sl_engine *e, int64_t dt_us);

/* Runs until sl_engine_stop() (real clock: the loop; virtual: until there is
 * nothing left to do). */
int sl_engine_run(sl_engine *e);

/* Makes the current run_for/run return after the work in hand. */
void sl_engine_stop(sl_engine *e);

/* Graceful shutdown (actor.c): no new actors; every actor is stopped in
 * reverse spawn order, an actor suspended mid-message being given until
 * `timeout_us` from now to finish it; left-over messages are dropped and
 * freed, pending asks fail with SL_ESTOPPED, timers are disarmed.  Returns 0,
 * or SL_ETIMEOUT if some actor had to be stopped at the deadline. */
int sl_engine_shutdown(sl_engine *e, int64_t timeout_us);

/* Queues fn(e, ud, arg) to run from the run queue, after the work already
 * queued.  Returns 0 or SL_ENOMEM. */
int sl_engine_defer(sl_engine *e, sl_run_fn fn, void *ud, uintptr_t arg);

/* The engine's libuv loop, initialised on first use in virtual mode (virtual
 * run_for then polls it without blocking between steps).  NULL on failure. */
uv_loop_t *sl_engine_loop(sl_engine *e);

/* Thread-safe: posts a message to actor `to` from any thread.  It is
 * delivered on the engine's thread in post order, waiting for mailbox room
 * rather than being dropped; if the actor has stopped it is freed.  Returns 0
 * or SL_ENOMEM (the message is freed). */
int sl_engine_post(sl_engine *e, sl_id to, const sl_msg *msg);

/* Thread-safe: runs fn(e, ud, 0) on the engine's thread. */
int sl_engine_post_call(sl_engine *e, sl_run_fn fn, void *ud);

/* Thread-safe: runs fn(e, ud, copy) on the engine's thread, where copy holds
 * the `len` bytes of data (len <= sizeof(sl_msg); they travel inline, no
 * allocation).  Returns 0, SL_EINVAL or SL_ENOMEM. */
typedef void (*sl_data_fn)(sl_engine *e, void *ud, const void *data);
int sl_engine_post_data(sl_engine *e, sl_data_fn fn, void *ud,
                        const void *data, size_t len);

static inline sl_rng *sl_engine_rng(sl_engine *e) { return &e->rng; }

/* Internals shared by the rt files. */
int sl__engine_push(sl_engine *e, sl_run_fn fn, void *ud, uintptr_t arg);
void sl__engine_timers_changed(sl_engine *e);
/* Runs queued work until the queue is empty or `limit` items have run. */
size_t sl__engine_drain(sl_engine *e, size_t limit);
/* One step of virtual time towards `deadline`: drain, then fire the next
 * due timers if they are not later than deadline.  Returns 0 when nothing
 * was left to do before the deadline. */
int sl__engine_step(sl_engine *e, int64_t deadline);
/* Runs the real-clock loop for dt_us, without run_for's re-entry check. */
void sl__engine_run_real(sl_engine *e, int64_t dt_us);
size_t sl__monitor_size(void);
void sl__xpost_init(sl_engine *e);
void sl__xpost_close(sl_engine *e);
void sl__xpost_drain(sl_engine *e);

#endif
