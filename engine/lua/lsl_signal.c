/*
 * lsl_signal.c -- Ctrl+C and SIGTERM for `starling run`.
 *
 * core.catch_interrupts([swarm]) installs handlers for SIGINT and SIGTERM
 * that record the signal; core.interrupted() -> "SIGINT", "SIGTERM" or nil.
 * The runner checks it after every tick (run_until's predicate), so a
 * signal ends a run between ticks, in virtual and real time alike, and the
 * shutdown that follows is the graceful one.
 *
 * A swarm on the real clock may have no tick to wait for: paused (:pause
 * at the control socket), its clock stands still and run_until's predicate
 * is never asked.  Given that swarm, the handler also wakes its loop
 * (uv_async_send, which is async-signal-safe) and the wake-up stops the
 * running run_for, so run_until asks at once.  catch_interrupts returns a
 * to-be-closed catcher then; closing it (before the swarm closes) lets the
 * loop go, the handlers staying in place (they only record).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "lsl.h"

#define LSL_CATCHER "starling.catcher"

static volatile sig_atomic_t caught;
static volatile sig_atomic_t armed; /* wake points at an open handle */
static uv_async_t *wake;            /* on the caught swarm's loop */

static void on_signal(int sig) {
  caught = sig;
  if (armed)
    uv_async_send(wake);
}

static void on_wake(uv_async_t *a) {
  lsl_swarm *S = a->data;
  sl_engine_stop(&S->engine); /* run_for returns; run_until asks */
}

static void wake_closed(uv_handle_t *h) {
  free(h);
}

typedef struct catcher {
  uv_async_t *a; /* NULL once released */
} catcher;

static void release(catcher *c) {
  if (c->a == NULL)
    return;
  if (wake == c->a) {
    armed = 0;
    wake = NULL;
  }
  uv_close((uv_handle_t *)c->a, wake_closed);
  c->a = NULL;
}

static int catcher_close(lua_State *L) {
  release(luaL_checkudata(L, 1, LSL_CATCHER));
  return 0;
}

static int catcher_tostring(lua_State *L) {
  catcher *c = luaL_checkudata(L, 1, LSL_CATCHER);
  lua_pushstring(L, c->a ? "starling.catcher (armed)" : "starling.catcher");
  return 1;
}

/* core.catch_interrupts([swarm]) -> catcher (a real-clock swarm given) or
 * nothing. */
static int catch_interrupts(lua_State *L) {
  lsl_swarm *S = lua_isnoneornil(L, 1) ? NULL : lsl_checkswarm(L, 1);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  caught = 0;
  if (S == NULL || S->engine.clock != SL_CLOCK_REAL) {
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
      return luaL_error(L, "catch_interrupts: %s", strerror(errno));
    return 0;
  }
  catcher *c = lua_newuserdatauv(L, sizeof(*c), 0);
  c->a = NULL;
  luaL_setmetatable(L, LSL_CATCHER);
  uv_async_t *a = malloc(sizeof(*a));
  if (a == NULL || uv_async_init(&S->engine.loop, a, on_wake) != 0) {
    free(a);
    return luaL_error(L, "catch_interrupts: cannot watch the loop");
  }
  a->data = S;
  c->a = a;
  armed = 0;
  wake = a;
  armed = 1;
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
    return luaL_error(L, "catch_interrupts: %s", strerror(errno));
  return 1;
}

static int interrupted(lua_State *L) {
  int sig = caught;
  if (sig == SIGINT)
    lua_pushliteral(L, "SIGINT");
  else if (sig == SIGTERM)
    lua_pushliteral(L, "SIGTERM");
  else
    lua_pushnil(L);
  return 1;
}

void lsl_signal_open(lua_State *L, int core) {
  core = lua_absindex(L, core);
  if (luaL_newmetatable(L, LSL_CATCHER)) {
    lua_pushcfunction(L, catcher_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, catcher_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, catcher_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, catch_interrupts);
  lua_setfield(L, core, "catch_interrupts");
  lua_pushcfunction(L, interrupted);
  lua_setfield(L, core, "interrupted");
}
