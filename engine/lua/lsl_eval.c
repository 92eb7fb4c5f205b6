/*
 * lsl_eval.c -- guarded evaluation for the prompts (REPL and control socket).
 *
 *   core.eval(fn, budget) -> true, results... | false, message
 *   core.eval_interrupt()   stop the evaluation running now ("interrupted")
 *
 * fn runs protected under a C count hook.  Being C (not debug.sethook's Lua
 * hook, which is looked up per thread), the hook is inherited by every
 * coroutine fn creates, so neither a coroutine nor a pcall escapes it: once
 * it fires for an interrupt or for going over `budget` instructions it
 * raises at every instruction until the evaluation is over.  An interrupt
 * comes from Ctrl+C (lsl_eval_interrupt is async-signal-safe: it sets a
 * flag) or from Lua.  Errors carry a traceback; "interrupted" and
 * "budget_exceeded: ..." come as they are.
 */
#include <signal.h>
#include <string.h>

#include "lsl.h"

enum { QUANTUM = 1000 };

static struct {
  volatile sig_atomic_t interrupted;
  int active;
  long long used, budget; /* budget 0: none */
} E;

void lsl_eval_interrupt(void) { E.interrupted = 1; }

void lsl_eval_reset(void) { E.interrupted = 0; }

static void eval_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  if (!E.active)
    return;
  if (!E.interrupted) {
    E.used += QUANTUM;
    if (E.budget <= 0 || E.used <= E.budget)
      return;
  }
  /* From now on at every instruction: a pcall inside cannot carry on. */
  lua_sethook(L, eval_hook, LUA_MASKCOUNT, 1);
  if (E.interrupted)
    lua_pushliteral(L, "interrupted");
  else
    lua_pushfstring(L, "budget_exceeded: more than %I instructions",
                    (lua_Integer)E.budget);
  lua_error(L);
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  /* Ours, maybe with a position in front (coroutine.wrap adds one): as is */
  if (msg != NULL && E.active) {
    const char *b = strstr(msg, "budget_exceeded: more than");
    size_t n = strlen(msg);
    if (b != NULL) {
      lua_pushstring(L, b);
      return 1;
    }
    if (E.interrupted && n >= 11 && strcmp(msg + n - 11, "interrupted") == 0) {
      lua_pushliteral(L, "interrupted");
      return 1;
    }
  }
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      msg = lua_tostring(L, -1);
    else
      msg = lua_pushfstring(L, "(error object is a %s value)",
                            luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int eval(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_Integer budget = luaL_optinteger(L, 2, 0);
  if (E.active)
    return luaL_error(L, "core.eval: an evaluation is running already");
  lua_Hook old = lua_gethook(L);
  int old_mask = lua_gethookmask(L), old_count = lua_gethookcount(L);
  E.active = 1; /* an interrupt that came while compiling counts */
  E.used = 0;
  E.budget = budget > 0 ? budget : 0;
  lua_settop(L, 1);
  lua_pushcfunction(L, traceback);
  lua_insert(L, 1);
  lua_sethook(L, eval_hook, LUA_MASKCOUNT, QUANTUM);
  int rc = lua_pcall(L, 0, LUA_MULTRET, 1);
  lua_sethook(L, old, old_mask, old_count);
  E.active = 0;
  E.interrupted = 0;
  lua_pushboolean(L, rc == LUA_OK);
  lua_replace(L, 1); /* over the traceback handler */
  return lua_gettop(L);
}

static int eval_interrupt(lua_State *L) {
  (void)L;
  lsl_eval_interrupt();
  return 0;
}

void lsl_eval_open(lua_State *L, int core) {
  core = lua_absindex(L, core);
  lua_pushcfunction(L, eval);
  lua_setfield(L, core, "eval");
  lua_pushcfunction(L, eval_interrupt);
  lua_setfield(L, core, "eval_interrupt");
}
