/*
 * timer.h -- one-shot and repeating timers on the engine clock.
 *
 * A timer is a caller-owned struct, as uv_timer_t is: starting one never
 * allocates beyond the engine's heap array, so a million pending timers cost
 * a million heap entries (24 bytes each) and nothing else.  The heap orders by
 * (due, start sequence), so timers due at the same instant fire in the order
 * they were started -- that is what makes virtual runs reproducible.  A
 * repeating timer keeps its start sequence when it re-arms, so the order
 * holds whatever the periods; sl_timer_start (a restart too) takes a new one.
 *
 * A repeating timer is re-armed *before* its callback runs (due += repeat,
 * exact in virtual time), so the callback may stop it, restart it with other
 * values, or free the struct after stopping it.
 */
#ifndef SL_TIMER_H
#define SL_TIMER_H

#include <stdint.h>

typedef struct sl_engine sl_engine;
typedef struct sl_timer sl_timer;
typedef void (*sl_timer_cb)(sl_timer *t);

#define SL_TIMER_INACTIVE UINT32_MAX

struct sl_timer {
  sl_engine *engine;
  sl_timer_cb cb;
  void *data; /* the owner's */
  int64_t due;    /* µs on the engine clock */
  int64_t repeat; /* µs; 0 for a one-shot timer */
  uint32_t heap_index;
};

typedef struct sl_theap_entry {
  int64_t due;
  uint64_t seq;
  sl_timer *t;
} sl_theap_entry;

typedef struct sl_theap {
  sl_theap_entry *v;
  uint32_t len, cap;
  uint64_t seq;
} sl_theap;

/* Binds an inactive timer to an engine. */
void sl_timer_init(sl_engine *e, sl_timer *t);

/* Arms the timer to fire `timeout_us` from now and then every `repeat_us`
 * (0: once).  Restarting an active timer re-arms it.  Returns 0, SL_EINVAL
 * for a negative time, SL_ECLOSED after sl_engine_close, or SL_ENOMEM. */
int sl_timer_start(sl_timer *t, sl_timer_cb cb, int64_t timeout_us,
                   int64_t repeat_us);

/* Disarms the timer; harmless when it is not armed.  Returns 0. */
int sl_timer_stop(sl_timer *t);

static inline int sl_timer_is_active(const sl_timer *t) {
  return t->heap_index != SL_TIMER_INACTIVE;
}

/* Engine internals. */
void sl__theap_close(sl_theap *h);
/* Due time of the earliest timer, or INT64_MAX when none is armed. */
int64_t sl__timers_next_due(const sl_engine *e);
/* Fires every timer due at or before `now`; returns how many fired. */
uint64_t sl__timers_run(sl_engine *e, int64_t now);
/* Disarms every timer (engine shutdown). */
void sl__timers_stop_all(sl_engine *e);

#endif
