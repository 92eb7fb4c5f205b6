/*
 * lsl_sup.c -- swarm:supervise{...}: supervision trees of Lua actors.
 *
 * Each child's `start` is a Lua function returning an actor (or a nested
 * supervisor); the C supervisor (rt/supervisor.c) calls it through
 * child_start, as a task that must finish at once.  Restarts become
 * actor_restarted{name, reason} events and count in stats().restarts;
 * giving up becomes supervisor_stopped{name}.  The child records are shared
 * by the Lua handle and the C supervisor (a reference count), because
 * either may outlive the other.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsl.h"
#include "rt/supervisor.h"

typedef struct lchild {
  struct supinfo *info;
  char *name;
  int start_ref;   /* the start function */
  int current_ref; /* what it last returned */
} lchild;

typedef struct supinfo {
  int refs;
  lsl_swarm *S;
  char *name;
  uint32_t n;
  lchild *c;
} supinfo;

typedef struct lsl_lsup {
  lsl_swarm *S;
  sl_id id;
  supinfo *info;
} lsl_lsup;

static void info_release(supinfo *in) {
  if (--in->refs > 0)
    return;
  for (uint32_t i = 0; i < in->n; i++) {
    if (!in->S->finalizing && in->S->engine.data != NULL) {
      lsl_unref(in->S, in->c[i].start_ref);
      lsl_unref(in->S, in->c[i].current_ref);
    }
    free(in->c[i].name);
  }
  free(in->c);
  free(in->name);
  free(in);
}

/* The id behind an actor ref or a supervisor at idx, or SL_ID_NONE. */
static sl_id id_of(lua_State *L, int idx) {
  lsl_lsup *s = luaL_testudata(L, idx, LSL_SUP);
  if (s != NULL)
    return s->id;
  return lsl_ref_id(L, idx);
}

typedef struct sctx {
  lchild *c;
  sl_id id;
  int rc;
} sctx;

static int start_protected(lua_State *L) {
  sctx *x = lua_touserdata(L, 1);
  lchild *c = x->c;
  lsl_swarm *S = c->info->S;
  lsl_pushref(S, L, c->start_ref);
  lsl_task *t = lsl_task_new(S, L, 0, 1);
  if (t->status == LSL_RUNNING) {
    lsl_task_cancel(t);
    S->handler_errors++;
    lsl_log_error(S, "supervisor child start", "start must not wait");
    x->rc = SL_EINVAL;
    return 0;
  }
  if (t->status != LSL_DONE) { /* failed: logged and counted already */
    x->rc = SL_ECRASHED;
    return 0;
  }
  int n = lsl_task_push_results_at(L, -1);
  sl_id id = n > 0 ? id_of(L, -n) : SL_ID_NONE;
  if (id == SL_ID_NONE) {
    S->handler_errors++;
    lsl_log_error(S, "supervisor child start",
                  lua_pushfstring(L, "start of '%s' must return an actor "
                                     "(swarm:actor or swarm:supervise)",
                                  c->name));
    x->rc = SL_EINVAL;
    return 0;
  }
  lua_pushvalue(L, -n);
  lsl_unref(S, c->current_ref);
  c->current_ref = lsl_ref(S, L);
  x->id = id;
  x->rc = 0;
  return 0;
}

static int child_start(sl_engine *e, void *ud, sl_id sup, sl_id *out) {
  (void)e;
  (void)sup;
  sctx x = {ud, SL_ID_NONE, SL_ECRASHED};
  if (lsl_protect(((lchild *)ud)->info->S, start_protected, &x) != 0)
    return SL_ECRASHED;
  *out = x.id;
  return x.rc;
}

static void on_restarted(void *ud, const char *child, int reason,
                         const char *msg) {
  supinfo *in = ud;
  in->S->restarts++;
  sl_event ev;
  sl_event_init(&ev, SL_EV_ACTOR_RESTARTED, sl_engine_now(&in->S->engine));
  sl_event_set(&ev.name, child);
  sl_event_set(&ev.reason, msg ? msg : lsl_exit_reason_name(reason));
  lsl_publish(in->S, &ev);
}

static void on_stopped(void *ud, const char *name) {
  supinfo *in = ud;
  sl_event ev;
  sl_event_init(&ev, SL_EV_SUPERVISOR_STOPPED, sl_engine_now(&in->S->engine));
  sl_event_set(&ev.name, name);
  lsl_publish(in->S, &ev);
}

static void on_free(void *ud) { info_release(ud); }

static const char *const strategies[] = {"one_for_one", "one_for_all",
                                         "rest_for_one", NULL};
static const char *const restarts[] = {"permanent", "transient", "temporary",
                                       NULL};

int lsl_swarm_supervise(lua_State *L) {
  const char *fn = "swarm:supervise";
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  static const char *const opts[] = {"strategy", "intensity", "period",
                                     "name",     "children",  NULL};
  luaL_checktype(L, 2, LUA_TTABLE);
  lsl_check_options(L, 2, fn, opts);
  int strategy = lsl_opt_choice(L, 2, fn, "strategy", "one_for_one",
                                strategies);
  lua_Integer intensity = lsl_opt_integer(L, 2, fn, "intensity", 3);
  int64_t period = lsl_opt_seconds(L, 2, fn, "period", 5000000, 1);
  if (intensity < 0 || intensity > 1000000)
    return luaL_error(L, "%s: option 'intensity' must be >= 0", fn);
  lua_getfield(L, 2, "name");
  if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
    return luaL_error(L, "%s: option 'name' must be a string", fn);
  const char *name = luaL_optstring(L, -1, "supervisor");
  if (lua_getfield(L, 2, "children") != LUA_TTABLE)
    return luaL_error(L, "%s: option 'children' must be a table (got %s)", fn,
                      luaL_typename(L, -1));
  int kids = lua_gettop(L);
  lua_Integer n = luaL_len(L, kids);
  if (S->shut)
    return luaL_error(L, "%s: the swarm has shut down", fn);

  /* Check every child spec before anything is started. */
  static const char *const copts[] = {"name", "start", "restart", "shutdown",
                                      NULL};
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, kids, i) != LUA_TTABLE)
      return luaL_error(L, "%s: children[%d] must be a table", fn, (int)i);
    lsl_check_options(L, -1, "swarm:supervise child", copts);
    lua_getfield(L, -1, "name");
    if (lua_type(L, -1) != LUA_TSTRING)
      return luaL_error(L, "%s: children[%d] needs a 'name' (a string)", fn,
                        (int)i);
    lua_getfield(L, -2, "start");
    if (lua_type(L, -1) != LUA_TFUNCTION)
      return luaL_error(L, "%s: child '%s' needs a 'start' function", fn,
                        lua_tostring(L, -2));
    lua_pop(L, 2);
    lsl_opt_choice(L, -1, "swarm:supervise child", "restart", "permanent",
                   restarts);
    lsl_opt_seconds(L, -1, "swarm:supervise child", "shutdown", 5000000, 1);
    for (lua_Integer k = 1; k < i; k++) { /* names are unique */
      lua_rawgeti(L, kids, k);
      lua_getfield(L, -1, "name");
      lua_getfield(L, -3, "name");
      int same = lua_rawequal(L, -1, -2);
      lua_pop(L, 3);
      if (same)
        return luaL_error(L, "%s: two children are named '%s'", fn,
                          lua_tostring(L, (lua_getfield(L, -1, "name"), -1)));
    }
    lua_pop(L, 1);
  }

  supinfo *in = calloc(1, sizeof(*in));
  sl_child_spec *specs = calloc(n ? (size_t)n : 1, sizeof(*specs));
  if (in == NULL || specs == NULL) {
    free(in);
    free(specs);
    return luaL_error(L, "%s: out of memory", fn);
  }
  in->refs = 2; /* the C supervisor and the Lua handle */
  in->S = S;
  in->name = strdup(name);
  in->n = (uint32_t)n;
  in->c = calloc(n ? (size_t)n : 1, sizeof(*in->c));
  for (lua_Integer i = 1; i <= n; i++) {
    lchild *c = &in->c[i - 1];
    lua_rawgeti(L, kids, i);
    lua_getfield(L, -1, "name");
    c->info = in;
    c->name = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, -1, "start");
    c->start_ref = lsl_ref(S, L);
    c->current_ref = LUA_NOREF;
    specs[i - 1].name = c->name;
    specs[i - 1].start = child_start;
    specs[i - 1].ud = c;
    specs[i - 1].restart =
        lsl_opt_choice(L, -1, fn, "restart", "permanent", restarts);
    specs[i - 1].shutdown_us =
        lsl_opt_seconds(L, -1, fn, "shutdown", 5000000, 1);
    lua_pop(L, 1);
  }
  sl_sup_spec spec = {name,
                      strategy,
                      (int)intensity,
                      period,
                      specs,
                      (uint32_t)n,
                      {on_restarted, on_stopped, NULL, on_free, in}};
  lsl_lsup *s = lua_newuserdatauv(L, sizeof(*s), 1);
  s->S = S;
  s->id = SL_ID_NONE;
  s->info = in;
  luaL_setmetatable(L, LSL_SUP);
  lsl_push_swarm(S, L);
  lua_setiuservalue(L, -2, 1);
  sl_id id;
  int rc = sl_supervisor_start(&S->engine, &spec, SL_ID_NONE, &id);
  S->L = L;
  free(specs);
  if (rc != 0) /* hooks.free ran: one reference left, the handle's */
    return luaL_error(L, "%s: a child failed to start (%s)", fn,
                      sl_strerror(rc));
  s->id = id;
  return 1;
}

static lsl_lsup *checksup(lua_State *L) {
  lsl_lsup *s = luaL_checkudata(L, 1, LSL_SUP);
  if (s->S->engine.data != NULL && !s->S->finalizing)
    s->S->L = L;
  return s;
}

static int usable(const lsl_lsup *s) {
  return s->S->engine.data != NULL && !s->S->finalizing;
}

static int sup_child(lua_State *L) {
  lsl_lsup *s = checksup(L);
  const char *name = luaL_checkstring(L, 2);
  if (!usable(s) || s->info == NULL)
    return 0;
  sl_id id = sl_supervisor_child(&s->S->engine, s->id, name);
  if (id == SL_ID_NONE)
    return 0;
  for (uint32_t i = 0; i < s->info->n; i++)
    if (strcmp(s->info->c[i].name, name) == 0) {
      lsl_pushref(s->S, L, s->info->c[i].current_ref);
      return 1;
    }
  return 0;
}

static int sup_alive(lua_State *L) {
  lsl_lsup *s = checksup(L);
  lua_pushboolean(L, usable(s) && sl_actor_alive(&s->S->engine, s->id));
  return 1;
}

static int sup_stop(lua_State *L) {
  lsl_lsup *s = checksup(L);
  int rc = usable(s) ? sl_actor_stop(&s->S->engine, s->id, SL_EXIT_NORMAL)
                     : SL_ESTOPPED;
  if (rc != 0)
    return lsl_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* <close>: the supervisor (and its children) stop; the handle stays. */
static int sup_close(lua_State *L) {
  lsl_lsup *s = luaL_checkudata(L, 1, LSL_SUP);
  if (usable(s)) {
    s->S->L = L;
    sl_actor_stop(&s->S->engine, s->id, SL_EXIT_NORMAL);
  }
  return 0;
}

static int sup_gc(lua_State *L) {
  lsl_lsup *s = luaL_checkudata(L, 1, LSL_SUP);
  if (s->info != NULL) {
    if (!s->S->finalizing && s->S->engine.data != NULL)
      s->S->L = L;
    info_release(s->info);
    s->info = NULL;
  }
  return 0;
}

static int sup_eq(lua_State *L) {
  lsl_lsup *a = luaL_checkudata(L, 1, LSL_SUP);
  lsl_lsup *b = luaL_checkudata(L, 2, LSL_SUP);
  lua_pushboolean(L, a->S == b->S && a->id == b->id);
  return 1;
}

static int sup_tostring(lua_State *L) {
  lsl_lsup *s = luaL_checkudata(L, 1, LSL_SUP);
  lua_pushfstring(L, "starling.supervisor %s (%s)",
                  s->info ? s->info->name : "?",
                  usable(s) && sl_actor_alive(&s->S->engine, s->id)
                      ? "alive"
                      : "stopped");
  return 1;
}

void lsl_sup_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"child", sup_child},
                                     {"alive", sup_alive},
                                     {"stop", sup_stop},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", sup_gc},
                                  {"__close", sup_close},
                                  {"__eq", sup_eq},
                                  {"__tostring", sup_tostring},
                                  {NULL, NULL}};
  luaL_newmetatable(L, LSL_SUP);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
