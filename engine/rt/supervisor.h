/*
 * supervisor.h -- Erlang/OTP supervision: restart what crashes, give up
 * when it crashes too often, and let the level above decide.
 *
 * A supervisor is an actor.  It starts its children in order (each start
 * function returns the id of the actor it spawned), monitors them, and on a
 * child's exit applies its strategy:
 *
 *   one_for_one   restart the child that stopped
 *   one_for_all   stop the others (reverse order), restart all (in order)
 *   rest_for_one  stop those started after it, restart it and them
 *
 * Restart types: permanent (always restarted), transient (only after an
 * abnormal exit, i.e. not normal or shutdown), temporary (never).  More than
 * `intensity` restarts within `period` and it gives up: it stops its
 * children in reverse order, reports `stopped`, and exits abnormally
 * ("reached max restart intensity"), so that its own supervisor -- which
 * monitors it like any child -- sees a crash.  Children are stopped
 * gracefully: one in the middle of a message gets its `shutdown_us` to
 * finish before it is killed.  While the engine shuts down, nothing is
 * restarted.
 */
#ifndef SL_SUPERVISOR_H
#define SL_SUPERVISOR_H

#include "actor.h"

enum { SL_ONE_FOR_ONE, SL_ONE_FOR_ALL, SL_REST_FOR_ONE };
enum { SL_PERMANENT, SL_TRANSIENT, SL_TEMPORARY };

/* Starts a child: spawn it (with `sup` as its parent) and put its id in
 * *out.  Returns 0 or an error (counted as a failed restart). */
typedef int (*sl_child_start_fn)(sl_engine *e, void *ud, sl_id sup,
                                 sl_id *out);

typedef struct sl_child_spec {
  const char *name; /* copied */
  sl_child_start_fn start;
  void *ud;
  int restart;         /* SL_PERMANENT ... */
  int64_t shutdown_us; /* graceful stop time; 0: the default 5 s */
} sl_child_spec;

/* What the supervisor tells its embedder (the Lua layer turns these into
 * actor_restarted and supervisor_stopped events).  All optional. */
typedef struct sl_sup_hooks {
  /* A child was restarted.  reason is its exit reason (a sibling restarted
   * by one_for_all/rest_for_one: SL_EXIT_SHUTDOWN); msg may be NULL. */
  void (*restarted)(void *ud, const char *child, int reason, const char *msg);
  /* The supervisor gave up (intensity exceeded). */
  void (*stopped)(void *ud, const char *name);
  /* The supervisor is gone: release a child spec's ud. */
  void (*child_free)(void *ud, void *child_ud);
  /* ... and then its own ud. */
  void (*free)(void *ud);
  void *ud;
} sl_sup_hooks;

typedef struct sl_sup_spec {
  const char *name; /* copied */
  int strategy;
  int intensity;     /* restarts allowed within the period (default 3) */
  int64_t period_us; /* (default 5 s) */
  const sl_child_spec *children;
  uint32_t nchildren;
  sl_sup_hooks hooks;
} sl_sup_spec;

/* Spawns a supervisor and starts its children in order before returning.
 * If a child fails to start, the ones started are stopped in reverse order
 * and the error is returned (hooks.child_free and hooks.free have run).
 * Returns 0 with *out, SL_EINVAL, SL_ENOMEM, SL_ECLOSED or a start error. */
int sl_supervisor_start(sl_engine *e, const sl_sup_spec *spec, sl_id parent,
                        sl_id *out);

/* The current id of child `name` (it changes with each restart), or
 * SL_ID_NONE when it is not running or `sup` is not a live supervisor. */
sl_id sl_supervisor_child(sl_engine *e, sl_id sup, const char *name);

#endif
