/*
 * lsl_task.c -- swarm tasks: coroutines the engine resumes.
 *
 * Missions, handlers, swarm:spawn bodies and Lua actor handlers all run as
 * tasks.  A waiting function (sleep, wait, ask, recv) registers what will
 * wake the task, sets t->wait and yields; the engine resumes the task from a
 * timer, a reply or another task's end.  A task that calls coroutine.yield
 * itself just lets others run and continues from the run queue.
 *
 *   lsl_task_new --> [W_START] --run queue--> resume --+--> DONE / FAILED
 *                                               ^      |
 *                         timer/reply/wake -----+-- yield (t->wait set)
 *   task:cancel: undo the wait, close the coroutine --> CANCELLED
 *
 * Every resume runs under a count hook of S->budget instructions.  Over
 * budget, the hook raises "budget_exceeded" and re-arms itself at every
 * instruction on the task's thread, so a pcall inside the task cannot
 * swallow the error and carry on.
 *
 * A task's userdata is pinned in the swarm's store while it runs and while
 * the engine holds a callback that points at it (t->pins), so the collector
 * never frees a task the engine can still reach.
 */
#include <stdio.h>
#include <string.h>

#include "lsl.h"

/* The task being resumed, per Lua state, for the budget hook (which gets no
 * upvalues): a light userdata in the registry, set around each resume. */
static char current_key;

static lsl_task *current_task(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &current_key);
  lsl_task *t = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return t;
}

static void set_current(lua_State *L, lsl_task *t) {
  lua_pushlightuserdata(L, t);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &current_key);
}

/* The hook fires every `quantum` instructions on the task's thread and on
 * every coroutine the task created (they inherit it), and charges them to
 * the task being resumed, so the budget is per resume whatever coroutines
 * the task juggles.  Code running outside any task is not charged. */
static int quantum(const lsl_swarm *S) {
  return S->budget < 1000 ? S->budget : 1000;
}

static void budget_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lsl_task *t = current_task(L);
  if (t == NULL)
    return;
  if (!t->blown) {
    t->used += quantum(t->S);
    if (t->used < t->S->budget)
      return;
    t->blown = 1;
  }
  /* Over budget: raise at every instruction from now on, so a pcall in the
   * task cannot catch the error and carry on. */
  lua_sethook(t->co, budget_hook, LUA_MASKCOUNT, 1);
  lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
  lua_pushliteral(L, "budget_exceeded");
  lua_error(L);
}

static lsl_task *checktask(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, LSL_TASK);
}

/* Finished hidden tasks kept for reuse: enough for handlers that start
 * while others wait, without holding many idle threads. */
enum { POOL_MAX = 64 };

static void push_task(lsl_task *t, lua_State *L) {
  lsl_pushref(t->S, L, t->ref);
}

void lsl_task_pin(lsl_task *t) { t->pins++; }

void lsl_task_unpin(lsl_task *t) {
  if (--t->pins == 0) {
    lsl_unref(t->S, t->ref);
    t->ref = LUA_NOREF;
  }
}

static void unlink_live(lsl_task *t) {
  lsl_swarm *S = t->S;
  if (t->prev_live)
    t->prev_live->next_live = t->next_live;
  else if (S->tasks == t)
    S->tasks = t->next_live;
  if (t->next_live)
    t->next_live->prev_live = t->prev_live;
  t->prev_live = t->next_live = NULL;
}

static void unlink_waiter(lsl_task *w) {
  lsl_task *target = w->waiting_on;
  if (target == NULL)
    return;
  for (lsl_task **p = &target->waiters; *p; p = &(*p)->next_waiter)
    if (*p == w) {
      *p = w->next_waiter;
      break;
    }
  w->next_waiter = NULL;
  w->waiting_on = NULL;
}

/* Pushes the results of the finished task at `idx` (its userdata). */
int lsl_task_push_results_at(lua_State *L, int idx) {
  lsl_task *t = checktask(L, idx);
  idx = lua_absindex(L, idx);
  switch (t->status) {
  case LSL_DONE: {
    lua_getiuservalue(L, idx, 2);
    lua_getfield(L, -1, "n");
    int n = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    luaL_checkstack(L, n, "too many results");
    for (int i = 1; i <= n; i++)
      lua_rawgeti(L, -i, i);
    lua_remove(L, -(n + 1));
    return n;
  }
  case LSL_FAILED:
    lua_pushnil(L);
    lua_getiuservalue(L, idx, 2);
    return 2;
  default:
    return lsl_fail(L, SL_ECANCELLED);
  }
}

int lsl_task_push_results(lsl_task *t, lua_State *L) {
  push_task(t, L);
  int n = lsl_task_push_results_at(L, -1);
  lua_remove(L, -(n + 1));
  return n;
}

typedef struct wake {
  lsl_task *w, *t;
} wake;

static int wake_protected(lua_State *L) {
  wake *k = lua_touserdata(L, 1);
  int n = lsl_task_push_results(k->t, L);
  lua_xmove(L, k->w->co, n);
  lsl_task_resume(k->w, n);
  return 0;
}

static void wake_waiter(sl_engine *e, void *ud, uintptr_t arg) {
  (void)e;
  wake k = {ud, (lsl_task *)arg};
  if (k.w->status == LSL_RUNNING && k.w->wait == LSL_W_TASK)
    lsl_protect(k.w->S, wake_protected, &k);
  lsl_task_unpin(k.t);
  lsl_task_unpin(k.w);
}

/* Ends a task: records its results (for DONE they are the `nres` values on
 * top of t->co), tells on_done and the tasks waiting on it, drops the pin.
 * For FAILED the message is on top of S->L. */
static void finish(lsl_task *t, int status, int nres) {
  lsl_swarm *S = t->S;
  lua_State *L = S->L;
  t->status = status;
  t->wait = LSL_W_NONE;
  sl_timer_stop(&t->timer);
  unlink_live(t);
  if (t->hidden && status == LSL_DONE && t->pins == 1 &&
      t->on_done == NULL && S->npool < POOL_MAX &&
      lua_status(t->co) == LUA_OK) {
    /* Nobody can wait for it or read its results: keep the thread (its
     * pin in the store too) for the next handler. */
    lua_settop(t->co, 0);
    t->next_free = S->pool;
    S->pool = t;
    S->npool++;
    return;
  }
  push_task(t, L); /* [msg?] task */
  if (status == LSL_DONE) {
    luaL_checkstack(L, nres + 4, "too many results");
    lua_createtable(L, nres, 1);
    int tbl = lua_gettop(L);
    lua_xmove(t->co, L, nres);
    for (int i = nres; i >= 1; i--)
      lua_rawseti(L, tbl, i);
    lua_pushinteger(L, nres);
    lua_setfield(L, -2, "n");
    lua_setiuservalue(L, -2, 2);
  } else if (status == LSL_FAILED) {
    lua_pushvalue(L, -2);
    lua_setiuservalue(L, -2, 2);
  }
  lua_pushnil(L); /* the coroutine is no longer needed */
  lua_setiuservalue(L, -2, 1);
  lua_pop(L, 1);
  if (status == LSL_FAILED)
    lua_pop(L, 1);
  if (t->on_done != NULL)
    t->on_done(t, t->done_ud);
  /* Waiters resume from the run queue, not from here: a chain of tasks
   * each waiting on the next must not become a chain of C calls. */
  while (t->waiters != NULL) {
    lsl_task *w = t->waiters;
    t->waiters = w->next_waiter;
    w->next_waiter = NULL;
    w->waiting_on = NULL;
    sl_timer_stop(&w->timer);
    lsl_task_pin(w);
    lsl_task_pin(t);
    if (sl_engine_defer(&S->engine, wake_waiter, w, (uintptr_t)t) != 0) {
      lsl_task_unpin(t);
      lsl_task_unpin(w);
    }
  }
  lsl_task_unpin(t);
}

static void resume_later(sl_engine *e, void *ud, uintptr_t arg);

static int tostring_protected(lua_State *L) {
  luaL_tolstring(L, 1, NULL);
  return 1;
}

/* Virtual clock: the task would be resumed once more than the engine's
 * livelock limit at this instant (a coroutine.yield loop, a sleep(0) loop,
 * two tasks bouncing a value through a channel): the clock could never
 * move again, so it fails with budget_exceeded instead, as a task over its
 * instruction budget does.  The nargs values meant for it are dropped. */
static void livelocked(lsl_task *t, int nargs) {
  lsl_swarm *S = t->S;
  lua_State *L = S->L;
  lua_pop(t->co, nargs);
  char msg[128];
  snprintf(msg, sizeof msg,
           "budget_exceeded: resumed %u times at one instant (a livelock: "
           "the clock cannot move)",
           t->spin);
  S->handler_errors++;
  lsl_log_error(S, "task failed", msg);
  lua_resetthread(t->co); /* its pending <close> variables run */
  lua_pushliteral(L, "budget_exceeded");
  finish(t, LSL_FAILED, 0);
}

void lsl_task_resume(lsl_task *t, int nargs) {
  lsl_swarm *S = t->S;
  sl_engine *e = &S->engine;
  if (e->clock == SL_CLOCK_VIRTUAL) {
    if (t->spin_epoch != e->epoch) {
      t->spin_epoch = e->epoch;
      t->spin = 0;
    }
    if (t->spin >= e->livelock) {
      livelocked(t, nargs);
      return;
    }
    t->spin++;
  }
  lua_State *from = S->L;
  lsl_task *prev = S->current;
  lsl_task *prev_global = current_task(from);
  S->current = t;
  set_current(from, t);
  t->wait = LSL_W_NONE;
  t->used = 0;
  lua_sethook(t->co, budget_hook, LUA_MASKCOUNT, quantum(S));
  int nres = 0;
  int st = lua_resume(t->co, from, nargs, &nres);
  set_current(from, prev_global);
  S->current = prev;
  S->L = from;
  if (st == LUA_YIELD) {
    lua_pop(t->co, nres);
    if (t->wait == LSL_W_NONE) { /* a bare coroutine.yield() */
      t->wait = LSL_W_YIELD;
      lsl_task_pin(t);
      if (sl_engine_defer(&S->engine, resume_later, t, 0) != 0)
        lsl_task_unpin(t);
    }
    if (t->cancel_requested)
      lsl_task_cancel(t);
    return;
  }
  if (st == LUA_OK) {
    finish(t, LSL_DONE, nres);
    return;
  }
  if (t->cancel_requested) {
    lua_pop(t->co, 1);
    finish(t, LSL_CANCELLED, 0);
    return;
  }
  /* Failed: message for task.error, message and traceback for the log.
   * The error object's __tostring is user code: run it protected, or a
   * raise inside it would unwind through the engine. */
  lua_xmove(t->co, from, 1);
  if (t->blown) {
    lua_pop(from, 1);
    lua_pushliteral(from, "budget_exceeded"); /* as is, whatever wrapped it */
  } else if (!lua_isstring(from, -1)) {
    int err = lua_gettop(from);
    lua_pushcfunction(from, tostring_protected);
    lua_pushvalue(from, err);
    if (lua_pcall(from, 1, 1, 0) != LUA_OK) {
      lua_pop(from, 1);
      lua_pushfstring(from, "(error object is a %s value)",
                      luaL_typename(from, err));
    }
    lua_replace(from, err);
  } else {
    lua_tostring(from, -1); /* a number becomes its string */
  }
  const char *msg = lua_tostring(from, -1); /* [msg] on S->L */
  luaL_traceback(from, t->co, msg, 0);
  S->handler_errors++;
  lsl_log_error(S, "task failed", lua_tostring(from, -1));
  lua_pop(from, 1);
  /* As a cancel does: the task's pending <close> variables run now (an
   * error in one of them is dropped; the task has failed already). */
  lua_resetthread(t->co);
  finish(t, LSL_FAILED, 0);
}

/* Protected entry points used from engine callbacks. */
static int resume_protected(lua_State *L) {
  lsl_task *t = lua_touserdata(L, 1);
  int nargs = 0;
  if (t->wait == LSL_W_START) {
    nargs = lua_gettop(t->co) - 1;
  }
  lsl_task_resume(t, nargs);
  return 0;
}

static void resume_later(sl_engine *e, void *ud, uintptr_t arg) {
  (void)e;
  (void)arg;
  lsl_task *t = ud;
  int w = t->wait;
  if (t->status == LSL_RUNNING && (w == LSL_W_START || w == LSL_W_YIELD))
    lsl_protect(t->S, resume_protected, t);
  lsl_task_unpin(t);
}

uint32_t lsl_task_line(lsl_swarm *S) {
  lsl_task *cur = S->current;
  return cur != NULL && cur->spin_epoch == S->engine.epoch ? cur->spin : 0;
}

/* A new task's livelock count: a timer's (S->inherit, set around the
 * start of its callback), or the line of the task starting it. */
static void start_line(lsl_task *t) {
  lsl_swarm *S = t->S;
  t->spin_epoch = S->engine.epoch;
  t->spin = S->inherit >= 0 ? (uint32_t)S->inherit : lsl_task_line(S);
}

/* Makes a task of the function below the `nargs` values on top of L (all
 * moved to its thread) and leaves its userdata on top of L. */
static lsl_task *create(lsl_swarm *S, lua_State *L, int nargs) {
  int base = lua_gettop(L) - nargs; /* the function */
  luaL_checktype(L, base, LUA_TFUNCTION);
  lsl_task *t = lua_newuserdatauv(L, sizeof(*t), 3);
  memset(t, 0, sizeof(*t));
  t->S = S;
  t->ref = LUA_NOREF;
  sl_timer_init(&S->engine, &t->timer);
  t->timer.data = t;
  luaL_setmetatable(L, LSL_TASK);
  t->co = lua_newthread(L);
  lua_setiuservalue(L, -2, 1);
  lsl_push_swarm(S, L); /* so the swarm outlives the task */
  lua_setiuservalue(L, -2, 3);
  lua_insert(L, base); /* [task f args...] */
  lua_xmove(L, t->co, nargs + 1);
  lua_pushvalue(L, -1);
  t->ref = lsl_ref(S, L);
  t->pins = 1;
  t->status = LSL_RUNNING;
  t->next_live = S->tasks;
  if (S->tasks)
    S->tasks->prev_live = t;
  S->tasks = t;
  t->seq = S->tasks_started++;
  t->wait = LSL_W_START;
  start_line(t);
  return t;
}

lsl_task *lsl_task_new(lsl_swarm *S, lua_State *L, int nargs, int now) {
  lsl_task *t = create(S, L, nargs);
  if (now) {
    lsl_task_resume(t, nargs);
  } else {
    lsl_task_pin(t);
    if (sl_engine_defer(&S->engine, resume_later, t, 0) != 0) {
      lsl_task_unpin(t);
      luaL_error(L, "out of memory");
    }
  }
  return t;
}

void lsl_task_run(lsl_swarm *S, lua_State *L, int nargs) {
  lsl_task *t = S->pool;
  if (t == NULL) {
    t = create(S, L, nargs);
    lua_pop(L, 1); /* the store holds it while it runs */
    t->hidden = 1;
    lsl_task_resume(t, nargs);
    return;
  }
  luaL_checktype(L, -(nargs + 1), LUA_TFUNCTION);
  S->pool = t->next_free;
  S->npool--;
  t->next_free = NULL;
  lua_xmove(L, t->co, nargs + 1);
  t->pins = 1; /* still referenced from the store */
  t->status = LSL_RUNNING;
  t->cancel_requested = 0;
  t->blown = 0;
  start_line(t); /* a new task on a recycled thread */
  t->on_cancel = NULL;
  t->wait_ud = NULL;
  t->next_live = S->tasks;
  t->prev_live = NULL;
  if (S->tasks)
    S->tasks->prev_live = t;
  S->tasks = t;
  t->seq = S->tasks_started++;
  t->wait = LSL_W_START;
  lsl_task_resume(t, nargs);
}

int lsl_task_running_since(lsl_swarm *S, uint64_t seq) {
  /* S->tasks holds the running tasks, the last started first. */
  return S->tasks != NULL && S->tasks->seq >= seq;
}

void lsl_task_drop_pool(lsl_swarm *S) {
  while (S->pool != NULL) {
    lsl_task *t = S->pool;
    S->pool = t->next_free;
    t->next_free = NULL;
    t->pins = 0;
    lsl_unref(S, t->ref);
    t->ref = LUA_NOREF;
  }
  S->npool = 0;
}

lsl_task *lsl_task_current(lsl_swarm *S, lua_State *L, const char *what) {
  lsl_task *t = S->current;
  if (t == NULL || t->co != L || !lua_isyieldable(L))
    luaL_error(L, "%s waits, so it may only be called inside a swarm task "
                  "(a mission, an event handler, swarm:spawn or an actor)",
               what);
  return t;
}

int lsl_task_cancel(lsl_task *t) {
  if (t->status != LSL_RUNNING)
    return 0;
  if (lua_status(t->co) == LUA_OK && t->wait != LSL_W_START) {
    /* It is on the C stack right now (it, or a task it resumed, asked):
     * it ends at its next yield; task:cancel raises in a task that cancels
     * itself. */
    t->cancel_requested = 1;
    return 2;
  }
  switch (t->wait) {
  case LSL_W_SLEEP:
    sl_timer_stop(&t->timer);
    break;
  case LSL_W_TASK:
    sl_timer_stop(&t->timer);
    unlink_waiter(t);
    break;
  case LSL_W_OTHER:
    if (t->on_cancel)
      t->on_cancel(t);
    break;
  default: /* START, YIELD, ASK: their callbacks see the status */
    break;
  }
  t->on_cancel = NULL;
  t->cancel_requested = 0;
  lua_resetthread(t->co); /* runs pending __close handlers */
  finish(t, LSL_CANCELLED, 0);
  return 1;
}

void lsl_task_cancel_all(lsl_swarm *S) {
  /* Cancelling runs __close handlers, which could start tasks: go round
   * until only tasks that are on the C stack right now are left.  This
   * ends: after shutdown no new task can start (spawn, timers and actors
   * refuse). */
  for (;;) {
    lsl_task *t = S->tasks;
    while (t != NULL && lua_status(t->co) == LUA_OK && t->wait != LSL_W_START)
      t = t->next_live;
    if (t == NULL)
      return;
    lsl_task_cancel(t);
  }
}

/* --- Lua API ------------------------------------------------------------- */

int lsl_swarm_spawn(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (S->shut)
    return luaL_error(L, "swarm:spawn: the swarm has shut down");
  int nargs = lua_gettop(L) - 2;
  lsl_task_new(S, L, nargs, 0);
  return 1;
}

static void sleep_done(sl_timer *tm) {
  lsl_task *t = tm->data;
  if (t->status == LSL_RUNNING && t->wait == LSL_W_SLEEP)
    lsl_protect(t->S, resume_protected, t);
}

int lsl_swarm_sleep(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  int64_t us = lsl_check_seconds(L, 2, "sleep");
  lsl_task *t = lsl_task_current(S, L, "swarm:sleep");
  sl_timer_start(&t->timer, sleep_done, us, 0);
  t->wait = LSL_W_SLEEP;
  return lua_yield(L, 0);
}

static int resume_timeout(lua_State *L) {
  lsl_task *t = lua_touserdata(L, 1);
  lua_pushnil(t->co);
  lua_pushstring(t->co, sl_strerror(SL_ETIMEOUT));
  lsl_task_resume(t, 2);
  return 0;
}

static void wait_timeout(sl_timer *tm) {
  lsl_task *t = tm->data;
  if (t->status != LSL_RUNNING || t->wait != LSL_W_TASK)
    return;
  unlink_waiter(t);
  lsl_protect(t->S, resume_timeout, t);
}

static int task_wait(lua_State *L) {
  lsl_task *target = checktask(L, 1);
  lsl_swarm *S = target->S;
  if (target->status != LSL_RUNNING)
    return lsl_task_push_results_at(L, 1);
  if (S->engine.data == NULL)
    return luaL_error(L, "swarm is closed");
  S->L = L;
  lsl_task *t = lsl_task_current(S, L, "task:wait");
  if (t == target)
    return luaL_error(L, "task:wait: a task cannot wait for itself");
  if (!lua_isnoneornil(L, 2)) {
    int64_t us = lsl_check_seconds(L, 2, "wait");
    sl_timer_start(&t->timer, wait_timeout, us, 0);
  }
  lsl_task **p = &target->waiters;
  while (*p)
    p = &(*p)->next_waiter;
  *p = t;
  t->waiting_on = target;
  t->wait = LSL_W_TASK;
  return lua_yield(L, 0);
}

static int task_cancel(lua_State *L) {
  lsl_task *t = checktask(L, 1);
  if (t->S->engine.data == NULL) { /* closed: every task was cancelled */
    lua_pushboolean(L, 0);
    return 1;
  }
  if (t->status == LSL_RUNNING)
    t->S->L = L;
  int rc = t->status == LSL_RUNNING ? lsl_task_cancel(t) : 0;
  if (rc == 2 && t->S->current == t && t->co == L)
    return luaL_error(L, "cancelled");
  lua_pushboolean(L, rc != 0);
  return 1;
}

static const char *const status_names[] = {"running", "done", "failed",
                                           "cancelled"};

static int task_index(lua_State *L) {
  lsl_task *t = checktask(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "status") == 0) {
    lua_pushstring(L, status_names[t->status]);
    return 1;
  }
  if (strcmp(k, "error") == 0) {
    if (t->status == LSL_FAILED)
      lua_getiuservalue(L, 1, 2);
    else if (t->status == LSL_CANCELLED)
      lua_pushliteral(L, "cancelled");
    else
      lua_pushnil(L);
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, k);
  return 1;
}

static int task_tostring(lua_State *L) {
  lsl_task *t = checktask(L, 1);
  lua_pushfstring(L, "starling.task (%s): %p", status_names[t->status],
                  (void *)t);
  return 1;
}

static int task_close(lua_State *L) {
  lsl_task *t = checktask(L, 1);
  if (t->status == LSL_RUNNING && t->S->engine.data != NULL) {
    t->S->L = L;
    lsl_task_cancel(t);
  }
  return 0;
}

static int task_gc(lua_State *L) {
  (void)L; /* a collected task is finished and unreachable from C */
  return 0;
}

void lsl_task_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"wait", task_wait}, {"cancel", task_cancel}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__index", task_index},
                                  {"__tostring", task_tostring},
                                  {"__close", task_close},
                                  {"__gc", task_gc},
                                  {NULL, NULL}};
  luaL_newmetatable(L, LSL_TASK);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);
}
