/*
 * lsl.h -- what the Lua binding files share.
 *
 * The swarm is a full userdata ("starling.swarm") that embeds its engine, so
 * the engine never moves and dies with the swarm.  Lua values that C must
 * keep (handlers, messages in mailboxes, running tasks) are referenced from
 * the swarm's *store*, a table held as the swarm's user value: a swarm and
 * everything it holds form one island the collector can free together,
 * instead of being pinned forever from the registry.  C callbacks reach the
 * store through a weak map from the engine pointer to the swarm.
 *
 * Engine -> Lua: every callback that touches Lua goes through lsl_protect,
 * a lua_pcall trampoline, so not even a memory error can unwind through the
 * engine.  S->L is the thread that called into the engine (run_for, send,
 * ...); callbacks use its stack, and task resumption saves and restores it.
 */
#ifndef LSL_H
#define LSL_H

#include <lauxlib.h>
#include <lua.h>

#include "rt/actor.h"
#include "rt/ask.h"
#include "stream/item.h"
#include "swarm/event.h"
#include "swarm/swarm.h"

#define LSL_SWARM "starling.swarm"
#define LSL_TASK "starling.task"
#define LSL_TIMER "starling.timer"
#define LSL_REF "starling.actor"
#define LSL_CHANNEL "starling.channel"
#define LSL_RECEIVER "starling.receiver"
#define LSL_SUB "starling.subscription"
#define LSL_EVSUB "starling.events"
#define LSL_SUP "starling.supervisor"
#define LSL_DRONE "starling.drone"
#define LSL_PRED "starling.predicate"
#define LSL_PATTERN "starling.pattern"
#define LSL_SWARMS "starling.swarms" /* registry: weak engine -> swarm */

enum { LSL_MSG_LUA = 0x4c554100 }; /* sl_msg.type of a Lua value message */

typedef struct lsl_task lsl_task;

typedef struct lsl_swarm {
  sl_engine engine;
  lua_State *L;      /* the thread that entered the engine (see above) */
  lsl_task *current; /* the task being resumed, or NULL */
  int64_t tick_us;
  int budget;
  int finalizing; /* __gc: no more Lua calls */
  int shut;       /* shutdown done */
  uint64_t handler_errors;
  uint64_t tasks_started;
  lsl_task *tasks; /* running tasks, newest first (for shutdown) */
  sl_value_ops vops; /* Lua values as stream items (lsl_stream.c) */
  uint64_t restarts; /* actors restarted by supervisors */
  sl_swarm sw;       /* drones, coordinator, missions, the event bus */
  int bus_ready;
  struct lsl_onh *on_handlers, *on_tail; /* swarm:on, in order */
  sl_bus_sub *on_sub; /* their dispatcher's FIFO on the bus */
  int dispatching;
  lsl_task *pool; /* finished hidden tasks, their threads ready for reuse */
  int npool;
  struct ctl_server *controls; /* open control sockets (lsl_control.c) */
  int64_t inherit; /* the count the next task starts with (-1: none) */
} lsl_swarm;

/* Task states, in the order of API.md's strings. */
enum { LSL_RUNNING, LSL_DONE, LSL_FAILED, LSL_CANCELLED };

/* What a task waits on while suspended. */
enum {
  LSL_W_NONE,
  LSL_W_START, /* queued to start */
  LSL_W_YIELD, /* plain coroutine.yield: continues next turn */
  LSL_W_SLEEP,
  LSL_W_TASK,  /* task:wait */
  LSL_W_ASK,
  LSL_W_OTHER  /* a waiting primitive of another file (channels, ...) */
};

typedef void (*lsl_done_fn)(lsl_task *t, void *ud);

struct lsl_task {
  lsl_swarm *S;
  lua_State *co;
  int status;
  int wait;
  int ref;  /* store ref to the userdata while pinned */
  int pins; /* running + engine callbacks that still point here */
  int cancel_requested;
  int64_t used; /* budget spent in the current resume */
  int blown; /* over budget: fails with budget_exceeded */
  sl_timer timer; /* sleeps and wait timeouts */
  lsl_task *waiters, *next_waiter; /* tasks in task:wait on this one */
  lsl_task *waiting_on;
  lsl_task *prev_live, *next_live; /* S->tasks */
  lsl_done_fn on_done; /* called once when it ends (actors use it) */
  void *done_ud;
  void (*on_cancel)(lsl_task *t); /* undoes a LSL_W_OTHER wait */
  void *wait_ud;
  int hidden; /* never given to Lua: may be recycled when it ends */
  /* Resumes since the clock last moved, its line's included: a task
   * started by a task (swarm:spawn, or a timer it armed) at the same
   * instant carries the count on (livelocks). */
  uint32_t spin, spin_epoch;
  uint64_t seq;        /* S->tasks_started when it started: its place in time */
  lsl_task *next_free; /* S->pool */
};

/* lsl_swarm.c */
lsl_swarm *lsl_checkswarm(lua_State *L, int idx);
lsl_swarm *lsl_swarm_enter(lua_State *L, int idx); /* check + S->L = L */
int lsl_push_store(lsl_swarm *S, lua_State *L);    /* 0 when gone */
void lsl_push_swarm(lsl_swarm *S, lua_State *L);   /* the userdata or nil */
int lsl_ref(lsl_swarm *S, lua_State *L);     /* pops a value; returns ref */
void lsl_unref(lsl_swarm *S, int ref);
void lsl_pushref(lsl_swarm *S, lua_State *L, int ref);
int lsl_protect(lsl_swarm *S, lua_CFunction fn, void *ud);
void lsl_log_error(lsl_swarm *S, const char *what, const char *msg);
/* Raises "bad argument #N to 'what' (MESSAGE)", N counted as the caller
 * wrote the call (a method's self is not counted, as luaL_argerror). */
int lsl_argerror(lua_State *L, int idx, const char *what, const char *fmt, ...);
/* Durations the clock can count: whole microseconds up to 1e12 s. */
#define LSL_SECONDS_MAX 1e12
/* The argument at idx as microseconds: a number of seconds in [0, 1e12]
 * (below 1 us it rounds to 0); raises through lsl_argerror otherwise. */
int64_t lsl_check_seconds(lua_State *L, int idx, const char *what);
/* The same for a repeating period: > 0, and at least the clock's 1 us. */
int64_t lsl_check_period(lua_State *L, int idx, const char *what);
double lsl_seconds(int64_t us);
/* Pushes `nil, code` and returns 2. */
int lsl_fail(lua_State *L, int err);

/* lsl_task.c */
void lsl_task_open(lua_State *L);
/* Creates a task running the function below the `nargs` values on top of L
 * (all popped), pushes the task userdata and returns it; it is pinned and
 * starts from the run queue, or at once when `now` is set. */
lsl_task *lsl_task_new(lsl_swarm *S, lua_State *L, int nargs, int now);
/* Runs the function below the `nargs` values on top of L (all popped) as
 * a task, at once, pushing nothing: for handlers whose task Lua never sees.
 * Such a task's thread is recycled when it ends normally. */
void lsl_task_run(lsl_swarm *S, lua_State *L, int nargs);
/* Lets go of the recycled threads (the swarm closes). */
void lsl_task_drop_pool(lsl_swarm *S);
/* The task running on L, or raises "<what> may only be called inside a
 * swarm task". */
lsl_task *lsl_task_current(lsl_swarm *S, lua_State *L, const char *what);
/* Whether a task that started at or after `seq` (an S->tasks_started
 * value) is still running. */
int lsl_task_running_since(lsl_swarm *S, uint64_t seq);
/* The livelock count a task started now by the running task (or a timer
 * it arms) carries on with: the running task's, at this instant, else 0. */
uint32_t lsl_task_line(lsl_swarm *S);
/* Resumes t with the nargs values already pushed on t->co. */
void lsl_task_resume(lsl_task *t, int nargs);
void lsl_task_pin(lsl_task *t);
void lsl_task_unpin(lsl_task *t);
/* Pushes the task's results (or nil, err) on L; returns how many. */
int lsl_task_push_results(lsl_task *t, lua_State *L);
/* The same for the task userdata at idx (no pin needed). */
int lsl_task_push_results_at(lua_State *L, int idx);
/* Cancels a running task: 1 done, 2 deferred to its next yield (it is on
 * the C stack now), 0 it was not running. */
int lsl_task_cancel(lsl_task *t);
void lsl_task_cancel_all(lsl_swarm *S);

/* lsl_timer.c, lsl_actor.c */
void lsl_timer_open(lua_State *L);
int lsl_swarm_after(lua_State *L);
int lsl_swarm_every(lua_State *L);
void lsl_actor_open(lua_State *L);
int lsl_swarm_actor(lua_State *L);
/* The id of the actor ref at idx, or SL_ID_NONE if it is not one. */
sl_id lsl_ref_id(lua_State *L, int idx);
/* A Lua value as a message: pops it from L into *m. */
void lsl_msg_from_lua(lsl_swarm *S, lua_State *L, sl_msg *m);
void lsl_msg_push(lsl_swarm *S, lua_State *L, const sl_msg *m);

/* lsl_chan.c */
void lsl_chan_open(lua_State *L);
int lsl_swarm_channel(lua_State *L);
int lsl_chan_info(lua_State *L, int idx, void **chan, int *kind);

/* lsl_stream.c */
void lsl_stream_open(lua_State *L);
int lsl_core_stream_sink(lua_State *L);
void lsl_value_ops_init(lsl_swarm *S);
/* Pushes a stream item as a Lua value. */
void lsl_push_item(lsl_swarm *S, lua_State *L, const sl_item *it);

/* lsl_event.c */
void lsl_event_open(lua_State *L);
int lsl_swarm_on(lua_State *L);
int lsl_swarm_events(lua_State *L);
/* Publishes an event (the bus takes its strings). */
int lsl_publish(lsl_swarm *S, sl_event *ev);
void lsl_push_event(lua_State *L, const sl_event *ev);
/* Frees the swarm:on handlers (close and collection). */
void lsl_event_free_handlers(lsl_swarm *S);

/* lsl_sup.c */
void lsl_sup_open(lua_State *L);
/* An actor's exit reason as on_stop and actor_restarted name it: normal,
 * shutdown, killed, crashed (lsl_actor.c). */
const char *lsl_exit_reason_name(int reason);
int lsl_swarm_supervise(lua_State *L);

/* lsl_drone.c: drones, missions, targets, stats, telemetry */
void lsl_drone_open(lua_State *L);
void lsl_drone_methods(lua_State *L, int methods);
int lsl_core_waypoints(lua_State *L);
/* How far from the origin a coordinate may be: 1e9 m (a million km), so
 * that every distance the swarm computes is finite and every grid cell
 * fits an integer.  Positions beyond are refused, not flown at. */
#define LSL_COORD_MAX 1e9
/* Reads a position ({x=, y=, z=} or {x, y, z}; z defaults to 0), each
 * coordinate finite and within LSL_COORD_MAX; errors say "FNAME: ARG x
 * must be ...", ARG naming where it came from ("option 'base'"). */
sl_vec3 lsl_check_pos_named(lua_State *L, int idx, const char *fname,
                            const char *arg);
/* The same with ARG "position". */
sl_vec3 lsl_check_pos(lua_State *L, int idx, const char *what);
/* Reads an area table (as starling.area makes them): only min, max and
 * altitude, each finite. */
sl_area lsl_check_area(lua_State *L, int idx, const char *what);
/* Checks and reads the drone options present in the table at idx over
 * `base` (the swarm's defaults). */
void lsl_drone_opts(lua_State *L, int idx, const char *fname,
                    sl_drone_opts *o);
extern const char *const lsl_drone_option_names[];
int lsl_opt_boolean(lua_State *L, int idx, const char *fname, const char *key,
                    int def);

/* lsl_pred.c: compiled filters */
struct sl_pred;
typedef struct lsl_pattern { /* an event pattern: a type (-1: any) */
  int type;
  struct sl_pred *pred; /* and a predicate, or NULL */
} lsl_pattern;
void lsl_pred_open(lua_State *L, int core);
struct sl_pred *lsl_checkpred(lua_State *L, int idx);

/* lsl_team.c: teams, formations, slot assignment */
void lsl_team_methods(lua_State *L, int methods);
void lsl_team_open(lua_State *L, int core);

/* lsl_control.c: the control socket */
void lsl_control_open(lua_State *L, int core);
/* Closes every control socket of S (before its engine closes). */
void lsl_control_close_all(lsl_swarm *S);

/* lsl_eval.c: guarded evaluation at the prompts */
void lsl_eval_open(lua_State *L, int core);
/* Stops the running evaluation; async-signal-safe (sets a flag). */
void lsl_eval_interrupt(void);
/* Forgets an interrupt that found nothing to stop (the prompt calls it
 * after each line). */
void lsl_eval_reset(void);

/* lsl_signal.c: SIGINT/SIGTERM recorded for the runner */
void lsl_signal_open(lua_State *L, int core);

/* lsl_opts.c: option tables */
/* Pushes the value at idx as an error message shows it (numbers as Lua
 * writes them but nan for any NaN and no ".0", strings quoted and cut at
 * 60 bytes, other values by type) and returns it. */
const char *lsl_show(lua_State *L, int idx);
/* Option `key` in seconds as microseconds, or def_us when absent.  With
 * `positive` the rule is (0, 1e12] and at least the clock's 1 us, else
 * [0, 1e12]; raises "FN: option 'KEY' must be a number of seconds ...". */
int64_t lsl_opt_seconds(lua_State *L, int idx, const char *fname,
                        const char *key, int64_t def_us, int positive);
void lsl_check_options(lua_State *L, int idx, const char *fname,
                       const char *const allowed[]);
lua_Number lsl_opt_number(lua_State *L, int idx, const char *fname,
                          const char *key, lua_Number def);
lua_Integer lsl_opt_integer(lua_State *L, int idx, const char *fname,
                            const char *key, lua_Integer def);
int lsl_opt_choice(lua_State *L, int idx, const char *fname, const char *key,
                   const char *def, const char *const choices[]);
/* Pushes the field's value if it is a function (returns 1), pushes nothing
 * when absent (returns 0), raises otherwise. */
int lsl_opt_function(lua_State *L, int idx, const char *fname,
                     const char *key);

#endif
