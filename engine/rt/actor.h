/*
 * actor.h -- actors: a behaviour, some state, a bounded mailbox, an id.
 *
 * An actor is spawned with a behaviour (on_start, handle, on_stop) and a
 * pointer to its state.  Messages are copied into its mailbox; when the
 * mailbox turns non-empty the actor is queued on the engine's run queue, and
 * its turn handles at most `batch` messages before it goes to the back of the
 * queue, so one busy actor cannot starve the others.
 *
 * A handler returns 0 when it is done with the message, a negative error to
 * crash the actor (it is stopped with that error as its exit reason), or
 * SL_WAIT to say it is not done yet: the actor is *suspended*, gets no further
 * messages, and carries on when someone calls sl_actor_resume() -- this is how
 * a Lua handler that waits on an ask or a sleep keeps its messages in order.
 *
 * Stopping runs on_stop exactly once (for every actor whose on_start
 * succeeded), drops and frees what is left in the mailbox, fails the asks
 * among those messages with SL_ESTOPPED, fails senders waiting for room, and
 * releases the slot, so the old id answers SL_ESTOPPED from then on.  An actor
 * stopped from inside its own handler finishes that handler first.
 */
#ifndef SL_ACTOR_H
#define SL_ACTOR_H

#include "engine.h"

typedef struct sl_behaviour {
  const char *name;
  /* Runs inside sl_actor_spawn, before it returns.  A negative return fails
   * the spawn: the actor never existed and on_stop does not run. */
  int (*on_start)(sl_actor *self, void *arg);
  /* 0: done; SL_WAIT: suspended until sl_actor_resume; < 0: crash. */
  int (*handle)(sl_actor *self, sl_msg *msg);
  /* Runs exactly once, when the actor stops, with the exit reason. */
  void (*on_stop)(sl_actor *self, int reason);
} sl_behaviour;

/* Exit reasons.  A crash uses the negative error its handler returned. */
enum {
  SL_EXIT_NORMAL = 0,   /* sl_actor_stop with no special reason */
  SL_EXIT_SHUTDOWN = 1, /* engine shutdown */
  SL_EXIT_KILLED = 2,   /* stopped at a shutdown deadline while suspended */
};

typedef struct sl_spawn_opts {
  uint32_t mailbox; /* bound; 0: the engine's default */
  sl_id parent;
  void *arg; /* handed to on_start */
} sl_spawn_opts;

/* Flags (internal). */
enum {
  SL_AF_QUEUED = 1u << 0,    /* has an entry on the run queue */
  SL_AF_IN_TURN = 1u << 1,   /* inside on_start or a handler */
  SL_AF_SUSPENDED = 1u << 2, /* a handler returned SL_WAIT */
  SL_AF_STOP_REQ = 1u << 3,  /* stop when the handler in progress ends */
  SL_AF_DYING = 1u << 4,     /* finalising: sends fail */
  SL_AF_NO_ON_STOP = 1u << 5, /* on_start failed */
  SL_AF_RESUMED = 1u << 6     /* resumed before the handler returned */
};

typedef struct sl_waiter sl_waiter;
typedef struct sl_monitor sl_monitor;

/* System message types (user types must stay below SL_MSG_SYSTEM). */
#define SL_MSG_SYSTEM 0xffff0000u
/* A monitored actor stopped: from = its id, a.i = the exit reason, b.i =
 * the monitor's id, payload = its exit message (a C string) or NULL. */
#define SL_MSG_DOWN (SL_MSG_SYSTEM + 1)

/* A callback monitor's notice, run from the run queue.  msg may be NULL. */
typedef void (*sl_down_fn)(sl_engine *e, void *ud, sl_id target, int reason,
                           const char *msg);

struct sl_actor {
  sl_slot slot;
  uint32_t flags;
  int exit_reason;
  sl_engine *engine;
  const sl_behaviour *beh;
  void *state;
  sl_mailbox mbox;
  sl_actor *prev, *next; /* spawn order */
  sl_id parent;
  sl_waiter *waiters, *waiters_tail; /* senders waiting for room */
  sl_monitor *monitors;              /* who to tell when it stops */
  char *exit_msg;                    /* why it stopped, for the notices */
  void *kill_timer;                  /* a graceful stop's deadline */
  uint32_t spin_left, spin_epoch;    /* messages it may still handle before
                                        the clock moves again (livelocks) */
};

/* Called when a waiting send ends: status 0 (the message is in the mailbox)
 * or SL_ESTOPPED / SL_ENOMEM (it was dropped and freed). */
typedef void (*sl_send_cb)(sl_engine *e, void *ud, int status);

/* Spawns an actor.  `state` is the behaviour's, never touched here.  On
 * success returns 0 with the id in *out (on_start has run); returns
 * SL_ECLOSED after shutdown began, SL_EINVAL without a handle function,
 * SL_ENOMEM, or on_start's error. */
int sl_actor_spawn(sl_engine *e, const sl_behaviour *b, void *state,
                   const sl_spawn_opts *opts, sl_id *out);

/* Copies *msg into `to`'s mailbox if there is room.  Returns 0, SL_EFULL or
 * SL_ESTOPPED.  Ownership of the payload always passes: on failure it is
 * freed (and an ask riding on it fails). */
int sl_actor_try_send(sl_engine *e, sl_id to, const sl_msg *msg);

/* Like try_send, but a full mailbox makes the sender wait instead of fail:
 * returns 0 when the message went in at once (cb is not called), SL_WAIT
 * when it waits (cb, which may be NULL, is called once later), or
 * SL_ESTOPPED / SL_ENOMEM (the message is freed; cb is not called). */
int sl_actor_send(sl_engine *e, sl_id to, const sl_msg *msg, sl_send_cb cb,
                  void *ud);

/* Stops an actor with `reason`; from inside its own handler (or on_start) the
 * stop happens when that returns.  A suspended actor is stopped at once: its
 * on_stop must abandon the work it was waiting on.  Returns 0, or
 * SL_ESTOPPED when the id is stale. */
int sl_actor_stop(sl_engine *e, sl_id id, int reason);

/* Graceful stop: an actor in the middle of a message (suspended) gets until
 * `timeout_us` to finish it, then is stopped with SL_EXIT_KILLED; any other
 * actor stops at once with SL_EXIT_SHUTDOWN.  Returns 0 (stopped now),
 * SL_WAIT (stopping; monitors learn when), or SL_ESTOPPED. */
int sl_actor_shutdown(sl_engine *e, sl_id id, int64_t timeout_us);

/* From on_stop only: moves the oldest message still in the mailbox into
 * *out; the caller owns it from then on (its payload, and the ask riding on
 * it, which it must answer, pass on or end with sl__msg_dispose).  Returns
 * 1, or 0 when nothing is left.  What on_stop leaves is dropped as usual;
 * a restart that must lose nothing takes the messages and re-sends them. */
int sl_actor_take_mail(sl_actor *self, sl_msg *out);

/* Records why the actor is stopping (copied), for the down notices of its
 * monitors: a crashed Lua handler's error, for instance. */
void sl_actor_set_exit_message(sl_actor *a, const char *msg);

/* Monitors `target` on behalf of actor `watcher`, which gets an SL_MSG_DOWN
 * message when target stops (at once if it already has, with reason
 * SL_ESTOPPED).  *mon names the monitor.  Returns 0 or SL_ENOMEM. */
int sl_actor_monitor(sl_engine *e, sl_id target, sl_id watcher,
                     uint64_t *mon);
/* The same with a callback instead of a watcher actor. */
int sl_actor_monitor_cb(sl_engine *e, sl_id target, sl_down_fn fn, void *ud,
                        uint64_t *mon);
/* Removes a monitor whose notice has not been sent.  Returns 0 or
 * SL_ENOTFOUND. */
int sl_actor_demonitor(sl_engine *e, uint64_t mon);

/* Ends a suspension (see SL_WAIT): the actor takes its next message, or stops
 * if a stop was requested meanwhile.  Called from inside the handler that is
 * about to return SL_WAIT (its wait ended at once), it makes that SL_WAIT
 * count as 0.  Returns 0 or SL_ESTOPPED. */
int sl_actor_resume(sl_engine *e, sl_id id);

/* The live actor `id` names, or NULL. */
static inline sl_actor *sl_actor_get(sl_engine *e, sl_id id) {
  sl_actor *a = sl_slab_get(&e->actors, id);
  return (a != NULL && !(a->flags & SL_AF_DYING)) ? a : NULL;
}
static inline int sl_actor_alive(sl_engine *e, sl_id id) {
  return sl_actor_get(e, id) != NULL;
}
static inline sl_id sl_actor_id(const sl_actor *a) { return sl_slab_id(a); }
static inline void *sl_actor_state(const sl_actor *a) { return a->state; }
static inline sl_engine *sl_actor_engine(const sl_actor *a) {
  return a->engine;
}
static inline uint32_t sl_actor_count(const sl_engine *e) {
  return e->actors.live;
}

/* Internal: ends a message's life on a failure path -- fails its ask token
 * with `err` and frees its payload. */
void sl__msg_dispose(sl_engine *e, sl_msg *m, int err);

#endif
