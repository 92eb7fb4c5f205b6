/*
 * lsl_signal.c -- Ctrl+C and SIGTERM for `starling run`.
 *
 * core.catch_interrupts() installs handlers for SIGINT and SIGTERM that
 * only record the signal; core.interrupted() -> "SIGINT", "SIGTERM" or nil.
 * The runner checks it after every tick (run_until's predicate), so a
 * signal ends a run between ticks, in virtual and real time alike, and the
 * shutdown that follows is the graceful one.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "lsl.h"

static volatile sig_atomic_t caught;

static void on_signal(int sig) { caught = sig; }

static int catch_interrupts(lua_State *L) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
    return luaL_error(L, "catch_interrupts: %s", strerror(errno));
  caught = 0;
  return 0;
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
  lua_pushcfunction(L, catch_interrupts);
  lua_setfield(L, core, "catch_interrupts");
  lua_pushcfunction(L, interrupted);
  lua_setfield(L, core, "interrupted");
}
