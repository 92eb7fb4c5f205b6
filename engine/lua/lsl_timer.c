/*
 * lsl_timer.c -- swarm:after(dt, fn) and swarm:every(dt, fn).
 *
 * A timer userdata embeds its sl_timer; while armed it is pinned in the
 * swarm's store so the collector cannot free memory the engine's heap points
 * at.  Each firing runs fn(timer) as a new swarm task, started at once, so it
 * may wait; `every` first fires at now + dt and then exactly every dt.
 */
#include "lsl.h"

typedef struct lsl_ltimer {
  sl_timer t;
  lsl_swarm *S;
  int self_ref; /* pin while armed */
  int repeat;
  /* the livelock count of the task that armed it, and the instant: a
   * callback at that same instant carries it on (after(0) in a loop) */
  uint32_t line, line_epoch;
} lsl_ltimer;

static lsl_ltimer *checktimer(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, LSL_TIMER);
}

static void unpin(lsl_ltimer *lt) {
  lsl_unref(lt->S, lt->self_ref);
  lt->self_ref = LUA_NOREF;
}

static int fire_protected(lua_State *L) {
  lsl_ltimer *lt = lua_touserdata(L, 1);
  lsl_swarm *S = lt->S;
  if (lt->self_ref == LUA_NOREF) /* cancelled: armed timers are pinned */
    return 0;
  lsl_pushref(S, L, lt->self_ref); /* timer */
  if (!lt->repeat)
    unpin(lt); /* one-shot: done with the engine; the stack holds it now */
  lua_getiuservalue(L, -1, 1);     /* timer fn */
  lua_pushvalue(L, -2);            /* timer fn timer */
  if (lt->line_epoch == S->engine.epoch)
    S->inherit = lt->line;
  lsl_task_run(S, L, 1); /* timer task */
  S->inherit = -1;
  lua_pop(L, 1);
  return 0;
}

static void on_fire(sl_timer *t) {
  lsl_ltimer *lt = (lsl_ltimer *)t;
  lsl_protect(lt->S, fire_protected, lt);
}

static int start(lua_State *L, int repeat) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  const char *name = repeat ? "every" : "after";
  int64_t us =
      repeat ? lsl_check_period(L, 2, name) : lsl_check_seconds(L, 2, name);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  if (S->shut)
    return luaL_error(L, "swarm:%s: the swarm has shut down", name);
  lsl_ltimer *lt = lua_newuserdatauv(L, sizeof(*lt), 2);
  sl_timer_init(&S->engine, &lt->t);
  lt->S = S;
  lt->self_ref = LUA_NOREF;
  lt->repeat = repeat;
  lt->line = lsl_task_line(S);
  lt->line_epoch = S->engine.epoch;
  luaL_setmetatable(L, LSL_TIMER);
  lua_pushvalue(L, 3);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 2);
  if (sl_timer_start(&lt->t, on_fire, us, repeat ? us : 0) != 0)
    return luaL_error(L, "swarm:%s: out of memory", name);
  lua_pushvalue(L, -1);
  lt->self_ref = lsl_ref(S, L);
  return 1;
}

int lsl_swarm_after(lua_State *L) { return start(L, 0); }
int lsl_swarm_every(lua_State *L) { return start(L, 1); }

static int timer_cancel(lua_State *L) {
  lsl_ltimer *lt = checktimer(L, 1);
  int was = lt->S->engine.data != NULL && sl_timer_is_active(&lt->t);
  if (was) {
    lt->S->L = L;
    sl_timer_stop(&lt->t);
  }
  if (lt->self_ref != LUA_NOREF && lt->S->engine.data != NULL) {
    lt->S->L = L;
    unpin(lt);
  }
  lua_pushboolean(L, was);
  return 1;
}

static int timer_active(lua_State *L) {
  lsl_ltimer *lt = checktimer(L, 1);
  lua_pushboolean(L, lt->S->engine.data != NULL && sl_timer_is_active(&lt->t));
  return 1;
}

static int timer_tostring(lua_State *L) {
  lsl_ltimer *lt = checktimer(L, 1);
  lua_pushfstring(L, "starling.timer (%s%s): %p",
                  lt->repeat ? "every" : "after",
                  sl_timer_is_active(&lt->t) ? "" : ", inactive", (void *)lt);
  return 1;
}

static int timer_close(lua_State *L) {
  timer_cancel(L);
  return 0;
}

static int timer_gc(lua_State *L) {
  (void)L; /* armed timers are pinned, so a collected one is inactive */
  return 0;
}

void lsl_timer_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"cancel", timer_cancel}, {"active", timer_active}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__tostring", timer_tostring},
                                  {"__close", timer_close},
                                  {"__gc", timer_gc},
                                  {NULL, NULL}};
  luaL_newmetatable(L, LSL_TIMER);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
