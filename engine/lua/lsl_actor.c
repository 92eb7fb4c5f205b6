/*
 * lsl_actor.c -- swarm:actor(fn, opts): actors whose handler is Lua.
 *
 * Each message runs fn(self, msg) as a swarm task started at once.  If the
 * task finishes without waiting, its first result answers an ask and the
 * actor takes its next message in the same turn.  If it waits, the handler
 * returns SL_WAIT: the actor is suspended (its next message waits, as API.md
 * says) until the task ends, which answers the ask and resumes the actor.  A
 * handler that raises crashes the actor (the error is logged and counted).
 *
 * Messages carry Lua values by reference into the swarm's store, so any
 * value can be sent, and the runtime's "free on every path" rule releases the
 * reference whether the message was handled, dropped or left at a stop.
 */
#include <stdlib.h>
#include <string.h>

#include "lsl.h"

typedef struct lsl_aref lsl_aref;

typedef struct lsl_lactor {
  lsl_swarm *S;
  sl_id id;
  lsl_aref *self; /* the ref handed to handlers (pinned by self_ref) */
  char *name;
  int fn_ref, on_start_ref, on_stop_ref, self_ref;
  lsl_task *task;  /* handler task in progress (actor suspended) */
  uint64_t token;  /* the ask it owes an answer */
  int start_failed;
  int start_err_ref; /* on_start's error message, for swarm:actor */
} lsl_lactor;

struct lsl_aref {
  lsl_swarm *S;
  sl_id id;
};

/* --- messages ------------------------------------------------------------- */

static void lua_msg_free(sl_msg *m) {
  lsl_unref((lsl_swarm *)m->payload, (int)m->a.i);
}

void lsl_msg_from_lua(lsl_swarm *S, lua_State *L, sl_msg *m) {
  memset(m, 0, sizeof(*m));
  m->type = LSL_MSG_LUA;
  m->a.i = lsl_ref(S, L);
  m->payload = S; /* not owned: marks the store reference to release */
  m->free_fn = lua_msg_free;
}

void lsl_msg_push(lsl_swarm *S, lua_State *L, const sl_msg *m) {
  if (m->type == LSL_MSG_LUA)
    lsl_pushref(S, L, (int)m->a.i);
  else
    lua_pushnil(L);
}

/* --- refs ----------------------------------------------------------------- */

sl_id lsl_ref_id(lua_State *L, int idx) {
  lsl_aref *r = luaL_testudata(L, idx, LSL_REF);
  return r ? r->id : SL_ID_NONE;
}

static lsl_aref *checkref(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, LSL_REF);
}

static void push_aref(lua_State *L, lsl_swarm *S, sl_id id) {
  lsl_aref *r = lua_newuserdatauv(L, sizeof(*r), 1);
  r->S = S;
  r->id = id;
  luaL_setmetatable(L, LSL_REF);
  lsl_push_swarm(S, L);
  lua_setiuservalue(L, -2, 1);
}

/* The ref's swarm, ready for a call into the engine, or NULL when it has
 * been closed. */
static lsl_swarm *ref_enter(lua_State *L, lsl_aref *r) {
  if (r->S->engine.data == NULL || r->S->finalizing)
    return NULL;
  r->S->L = L;
  return r->S;
}

/* --- the behaviour ------------------------------------------------------- */

const char *lsl_exit_reason_name(int reason) {
  switch (reason) {
  case SL_EXIT_NORMAL:
    return "normal";
  case SL_EXIT_SHUTDOWN:
    return "shutdown";
  case SL_EXIT_KILLED:
    return "killed";
  default:
    return "crashed";
  }
}

/* Answers `token` with the first of the n values on top of S->L (popped). */
static void reply_top(lsl_swarm *S, int n, uint64_t token) {
  lua_State *L = S->L;
  if (n > 1)
    lua_pop(L, n - 1);
  else if (n == 0)
    lua_pushnil(L);
  sl_msg r;
  lsl_msg_from_lua(S, L, &r);
  sl_reply(&S->engine, token, &r);
}

/* A crashed handler's error becomes the actor's exit message (what its
 * monitors and supervisor report). */
static void set_exit_message(lsl_swarm *S, sl_id id, lsl_task *t) {
  sl_actor *a = sl_actor_get(&S->engine, id);
  lua_State *L = S->L;
  if (a == NULL || lsl_task_push_results(t, L) != 2)
    return;
  sl_actor_set_exit_message(a, lua_tostring(L, -1));
  lua_pop(L, 2);
}

static void handler_done(lsl_task *t, void *ud) {
  lsl_lactor *A = ud;
  lsl_swarm *S = A->S;
  uint64_t token = A->token;
  A->task = NULL;
  A->token = 0;
  t->on_done = NULL;
  if (t->status == LSL_FAILED) {
    if (token)
      sl__ask_fail(&S->engine, token, SL_ESTOPPED);
    set_exit_message(S, A->id, t);
    lsl_task_unpin(t);
    sl_actor_stop(&S->engine, A->id, SL_ECRASHED); /* frees A */
    return;
  }
  if (token && t->status == LSL_CANCELLED)
    sl__ask_fail(&S->engine, token, SL_ECANCELLED);
  else if (token)
    reply_top(S, lsl_task_push_results(t, S->L), token);
  lsl_task_unpin(t);
  sl_actor_resume(&S->engine, A->id);
}

typedef struct hctx {
  lsl_lactor *A;
  sl_msg *m;
  int rc;
} hctx;

static int handle_protected(lua_State *L) {
  hctx *c = lua_touserdata(L, 1);
  lsl_lactor *A = c->A;
  lsl_swarm *S = A->S;
  lsl_pushref(S, L, A->fn_ref);
  lsl_pushref(S, L, A->self_ref);
  lsl_msg_push(S, L, c->m);
  lsl_task *t = lsl_task_new(S, L, 2, 1);
  switch (t->status) {
  case LSL_DONE:
    if (c->m->reply) {
      uint64_t token = c->m->reply;
      c->m->reply = 0;
      reply_top(S, lsl_task_push_results_at(L, -1), token);
    }
    c->rc = 0;
    break;
  case LSL_FAILED: {
    int n = lsl_task_push_results_at(L, -1);
    sl_actor *a = sl_actor_get(&S->engine, A->id);
    if (a != NULL && n == 2)
      sl_actor_set_exit_message(a, lua_tostring(L, -1));
    lua_pop(L, n);
    c->rc = SL_ECRASHED;
    break;
  }
  case LSL_CANCELLED: /* it cancelled itself: the ask learns so */
    if (c->m->reply) {
      sl__ask_fail(&S->engine, c->m->reply, SL_ECANCELLED);
      c->m->reply = 0;
    }
    c->rc = 0;
    break;
  default: /* waiting: the actor waits with it */
    A->task = t;
    A->token = c->m->reply;
    c->m->reply = 0;
    lsl_task_pin(t);
    t->on_done = handler_done;
    t->done_ud = A;
    c->rc = SL_WAIT;
  }
  lua_pop(L, 1);
  return 0;
}

static int lua_handle(sl_actor *self, sl_msg *m) {
  lsl_lactor *A = sl_actor_state(self);
  hctx c = {A, m, SL_ECRASHED};
  if (lsl_protect(A->S, handle_protected, &c) != 0)
    return SL_ECRASHED;
  return c.rc;
}

static int start_protected(lua_State *L) {
  lsl_lactor *A = lua_touserdata(L, 1);
  lsl_pushref(A->S, L, A->on_start_ref);
  lsl_pushref(A->S, L, A->self_ref);
  lsl_task *t = lsl_task_new(A->S, L, 1, 1);
  if (t->status == LSL_FAILED) {
    A->start_failed = 1;
    lua_getfield(L, -1, "error"); /* kept for swarm:actor's message */
    A->start_err_ref = lsl_ref(A->S, L);
  }
  lua_pop(L, 1);
  return 0;
}

static int lua_start(sl_actor *self, void *arg) {
  lsl_lactor *A = sl_actor_state(self);
  A->id = sl_actor_id(self);
  A->self->id = A->id; /* so `self` works inside on_start */
  if (A->on_start_ref == LUA_NOREF)
    return 0;
  if (lsl_protect(A->S, start_protected, A) != 0 || A->start_failed)
    return SL_ECRASHED;
  return 0;
}

typedef struct sctx {
  lsl_lactor *A;
  int reason;
  lsl_task *task; /* the handler that was waiting, detached */
} sctx;

static int stop_protected(lua_State *L) {
  sctx *c = lua_touserdata(L, 1);
  lsl_lactor *A = c->A;
  lsl_swarm *S = A->S;
  if (c->task != NULL)
    lsl_task_cancel(c->task);
  if (A->on_stop_ref != LUA_NOREF && !A->start_failed) {
    lsl_pushref(S, L, A->on_stop_ref);
    lsl_pushref(S, L, A->self_ref);
    lua_pushstring(L, lsl_exit_reason_name(c->reason));
    lsl_task_new(S, L, 2, 1);
    lua_pop(L, 1);
  }
  return 0;
}

static void lua_stop(sl_actor *self, int reason) {
  lsl_lactor *A = sl_actor_state(self);
  lsl_swarm *S = A->S;
  /* Detach the waiting handler in plain C first: A is freed below whether or
   * not the protected part gets to run. */
  lsl_task *t = A->task;
  uint64_t token = A->token;
  A->task = NULL;
  A->token = 0;
  if (t != NULL) {
    t->on_done = NULL;
    t->done_ud = NULL;
  }
  if (token)
    sl__ask_fail(&S->engine, token, SL_ESTOPPED);
  if (!S->finalizing) {
    sctx c = {A, reason, t};
    lsl_protect(S, stop_protected, &c);
    if (t != NULL)
      lsl_task_unpin(t);
    lsl_unref(S, A->fn_ref);
    lsl_unref(S, A->on_start_ref);
    lsl_unref(S, A->on_stop_ref);
    lsl_unref(S, A->self_ref);
  }
  free(A->name);
  free(A);
}

static const sl_behaviour lua_behaviour = {"lua", lua_start, lua_handle,
                                           lua_stop};

/* --- swarm:actor ------------------------------------------------------- */

static const char *const actor_options[] = {"mailbox", "name", "on_start",
                                            "on_stop", NULL};

int lsl_swarm_actor(lua_State *L) {
  const char *fname = "swarm:actor";
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lsl_check_options(L, 3, fname, actor_options);
  lua_Integer mailbox = lsl_opt_integer(L, 3, fname, "mailbox", 64);
  if (mailbox < 1 || mailbox > 1000000)
    return luaL_error(L, "%s: option 'mailbox' must be in 1..1000000", fname);
  const char *name = NULL;
  if (!lua_isnoneornil(L, 3)) {
    lua_getfield(L, 3, "name");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
      return luaL_error(L, "%s: option 'name' must be a string (got %s)",
                        fname, luaL_typename(L, -1));
    name = lua_tostring(L, -1); /* the options table keeps it alive */
    lua_pop(L, 1);
  }
  int has_start = lsl_opt_function(L, 3, fname, "on_start");
  int has_stop = lsl_opt_function(L, 3, fname, "on_stop");
  if (S->shut)
    return luaL_error(L, "%s: the swarm has shut down", fname);
  /* Stack: ... [on_start] [on_stop] */
  lsl_lactor *A = calloc(1, sizeof(*A));
  if (A == NULL)
    return luaL_error(L, "%s: out of memory", fname);
  A->S = S;
  A->name = name ? strdup(name) : NULL;
  A->start_err_ref = LUA_NOREF;
  A->on_stop_ref = has_stop ? lsl_ref(S, L) : LUA_NOREF;
  A->on_start_ref = has_start ? lsl_ref(S, L) : LUA_NOREF;
  lua_pushvalue(L, 2);
  A->fn_ref = lsl_ref(S, L);
  push_aref(L, S, SL_ID_NONE); /* the ref returned, and self for handlers */
  lsl_aref *r = lua_touserdata(L, -1);
  A->self = r;
  lua_pushvalue(L, -1);
  A->self_ref = lsl_ref(S, L);
  sl_spawn_opts o = {(uint32_t)mailbox, SL_ID_NONE, NULL};
  sl_id id;
  int rc = sl_actor_spawn(&S->engine, &lua_behaviour, A, &o, &id);
  S->L = L;
  if (rc != 0) {
    /* A failed on_start means the actor never existed: no on_stop ran. */
    lsl_unref(S, A->fn_ref);
    lsl_unref(S, A->on_start_ref);
    lsl_unref(S, A->on_stop_ref);
    lsl_unref(S, A->self_ref);
    lsl_pushref(S, L, A->start_err_ref);
    lsl_unref(S, A->start_err_ref);
    free(A->name);
    free(A);
    if (rc == SL_ECRASHED)
      return luaL_error(L, "%s: on_start failed: %s", fname,
                        luaL_optstring(L, -1, "?"));
    return luaL_error(L, "%s: %s", fname, sl_strerror(rc));
  }
  r->id = id;
  return 1;
}

/* --- ref methods -------------------------------------------------------- */

static int ref_send(lua_State *L) {
  lsl_aref *r = checkref(L, 1);
  lsl_swarm *S = ref_enter(L, r);
  if (S == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  lua_settop(L, 2);
  sl_msg m;
  lsl_msg_from_lua(S, L, &m);
  int rc = sl_actor_try_send(&S->engine, r->id, &m);
  S->L = L;
  if (rc != 0)
    return lsl_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

typedef struct actx {
  lsl_task *t;
  int status;
  sl_msg *reply;
} actx;

static int ask_resume(lua_State *L) {
  actx *c = lua_touserdata(L, 1);
  lsl_task *t = c->t;
  int n = 1;
  if (c->status == 0) {
    lsl_msg_push(t->S, L, c->reply);
  } else {
    lua_pushnil(L);
    lua_pushstring(L, sl_strerror(c->status));
    n = 2;
  }
  lua_xmove(L, t->co, n);
  lsl_task_resume(t, n);
  return 0;
}

static void on_answer(sl_engine *e, void *ud, int status, sl_msg *reply) {
  (void)e;
  lsl_task *t = ud;
  if (t->status == LSL_RUNNING && t->wait == LSL_W_ASK) {
    actx c = {t, status, reply};
    lsl_protect(t->S, ask_resume, &c);
  }
  lsl_task_unpin(t);
}

static int ref_ask(lua_State *L) {
  lsl_aref *r = checkref(L, 1);
  lsl_swarm *S = ref_enter(L, r);
  if (S == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  int64_t timeout = 5000000;
  if (!lua_isnoneornil(L, 3))
    timeout = lsl_check_seconds(L, 3, "ask");
  lsl_task *t = lsl_task_current(S, L, "actor:ask");
  lua_settop(L, 2);
  sl_msg m;
  lsl_msg_from_lua(S, L, &m);
  int rc = sl_actor_ask(&S->engine, r->id, &m, timeout, on_answer, t);
  S->L = L;
  if (rc != 0)
    return lsl_fail(L, rc);
  lsl_task_pin(t);
  t->wait = LSL_W_ASK;
  return lua_yield(L, 0);
}

static int ref_stop(lua_State *L) {
  lsl_aref *r = checkref(L, 1);
  lsl_swarm *S = ref_enter(L, r);
  int rc = S ? sl_actor_stop(&S->engine, r->id, SL_EXIT_NORMAL) : SL_ESTOPPED;
  if (S)
    S->L = L;
  if (rc != 0)
    return lsl_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int ref_alive(lua_State *L) {
  lsl_aref *r = checkref(L, 1);
  lua_pushboolean(L, r->S->engine.data != NULL && !r->S->finalizing &&
                         sl_actor_alive(&r->S->engine, r->id));
  return 1;
}

static int ref_eq(lua_State *L) {
  lsl_aref *a = checkref(L, 1), *b = checkref(L, 2);
  lua_pushboolean(L, a->S == b->S && a->id == b->id);
  return 1;
}

static int ref_tostring(lua_State *L) {
  lsl_aref *r = checkref(L, 1);
  sl_actor *a = NULL;
  if (r->S->engine.data != NULL && !r->S->finalizing)
    a = sl_actor_get(&r->S->engine, r->id);
  const char *name = NULL;
  if (a != NULL && a->beh == &lua_behaviour)
    name = ((lsl_lactor *)sl_actor_state(a))->name;
  lua_pushfstring(L, "starling.actor %s%s(%d.%d%s)", name ? name : "",
                  name ? " " : "", (int)sl_id_index(r->id),
                  (int)sl_id_gen(r->id), a ? "" : ", stopped");
  return 1;
}

static int ref_gc(lua_State *L) {
  (void)L; /* a ref is a name; the actor lives on without it */
  return 0;
}

void lsl_actor_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"send", ref_send},
                                     {"ask", ref_ask},
                                     {"stop", ref_stop},
                                     {"alive", ref_alive},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__eq", ref_eq},
                                  {"__tostring", ref_tostring},
                                  {"__gc", ref_gc},
                                  {"__close", ref_gc},
                                  {NULL, NULL}};
  luaL_newmetatable(L, LSL_REF);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
