/*
 * lsl_swarm.c -- the swarm userdata: construction, the store, time, running.
 *
 * starling.swarm(opts) makes an engine and wraps it; methods are in one
 * table (the metatable's __index) that the Lua library extends with the parts
 * written in Lua.  The swarm ends by swarm:shutdown{} (graceful, stays usable
 * for queries), swarm:close() / <close> (frees the engine), or the collector.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsl.h"
#include "rt/log.h"

static char swarms_key; /* registry[&swarms_key] = weak {S -> swarm} */

lsl_swarm *lsl_checkswarm(lua_State *L, int idx) {
  lsl_swarm *S = luaL_checkudata(L, idx, LSL_SWARM);
  if (S->finalizing || S->engine.data == NULL)
    luaL_error(L, "swarm is closed");
  return S;
}

lsl_swarm *lsl_swarm_enter(lua_State *L, int idx) {
  lsl_swarm *S = lsl_checkswarm(L, idx);
  S->L = L;
  return S;
}

int lsl_push_store(lsl_swarm *S, lua_State *L) {
  if (S->finalizing || L == NULL)
    return 0;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &swarms_key);
  if (lua_rawgetp(L, -1, S) != LUA_TUSERDATA) {
    lua_pop(L, 2);
    return 0;
  }
  lua_getiuservalue(L, -1, 1);
  lua_replace(L, -3);
  lua_pop(L, 1);
  return 1;
}

void lsl_push_swarm(lsl_swarm *S, lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &swarms_key);
  lua_rawgetp(L, -1, S);
  lua_remove(L, -2);
}

int lsl_ref(lsl_swarm *S, lua_State *L) {
  if (!lsl_push_store(S, L)) {
    lua_pop(L, 1);
    return LUA_NOREF;
  }
  lua_insert(L, -2);
  int r = luaL_ref(L, -2);
  lua_pop(L, 1);
  return r;
}

void lsl_unref(lsl_swarm *S, int ref) {
  if (ref == LUA_NOREF || ref == LUA_REFNIL)
    return;
  lua_State *L = S->L;
  if (!lsl_push_store(S, L))
    return;
  luaL_unref(L, -1, ref);
  lua_pop(L, 1);
}

void lsl_pushref(lsl_swarm *S, lua_State *L, int ref) {
  if (!lsl_push_store(S, L)) {
    lua_pushnil(L);
    return;
  }
  lua_rawgeti(L, -1, ref);
  lua_remove(L, -2);
}

int lsl_protect(lsl_swarm *S, lua_CFunction fn, void *ud) {
  lua_State *L = S->L;
  if (S->finalizing || L == NULL || !lua_checkstack(L, 8))
    return -1;
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, ud);
  int rc = lua_pcall(L, 1, 0, 0);
  if (rc != LUA_OK) {
    lsl_log_error(S, "engine callback", lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  return 0;
}

void lsl_log_error(lsl_swarm *S, const char *what, const char *msg) {
  if (!sl_log_enabled("lua", SL_LOG_ERROR))
    return;
  size_t n = strlen(what) + strlen(msg ? msg : "(no message)") + 3;
  char *line = malloc(n);
  if (line == NULL)
    return;
  snprintf(line, n, "%s: %s", what, msg ? msg : "(no message)");
  sl_log_write(&S->engine, SL_LOG_ERROR, "lua", NULL, line);
  free(line);
}

/* key=value text from a table of fields, keys sorted; values with spaces,
 * quotes or '=' are quoted. */
static void log_pairs(lua_State *L, int idx, luaL_Buffer *b) {
  idx = lua_absindex(L, idx);
  lua_newtable(L); /* sorted keys */
  int keys = lua_gettop(L);
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      lua_pushvalue(L, -1);
      lua_rawseti(L, keys, ++n);
    }
  }
  lua_getglobal(L, "table");
  lua_getfield(L, -1, "sort");
  lua_pushvalue(L, keys);
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, keys, i);
    const char *k = lua_tostring(L, -1);
    lua_gettable(L, idx);
    size_t len;
    const char *v = luaL_tolstring(L, -1, &len);
    int quote = len == 0 || strpbrk(v, " \"=\t\n") != NULL;
    if (luaL_bufflen(b) > 0)
      luaL_addchar(b, ' ');
    luaL_addstring(b, k);
    luaL_addchar(b, '=');
    if (quote)
      luaL_addchar(b, '"');
    luaL_addlstring(b, v, len);
    if (quote)
      luaL_addchar(b, '"');
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
}

/* swarm:_log(level, module, message, fields): a log line (rt/log.h), with
 * the swarm's clock.  Internal: the runner's and the REPL's. */
static int swarm_log(lua_State *L) {
  lsl_swarm *S = luaL_checkudata(L, 1, LSL_SWARM);
  size_t llen;
  const char *lname = luaL_checklstring(L, 2, &llen);
  int level = sl_log_level_of(lname, llen);
  if (level < 0)
    return luaL_error(L, "unknown log level '%s' (levels: error warn info "
                         "debug trace)", lname);
  const char *module = luaL_checkstring(L, 3);
  const char *msg = luaL_checkstring(L, 4);
  if (!sl_log_enabled(module, level))
    return 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (lua_istable(L, 5))
    log_pairs(L, 5, &b);
  luaL_pushresult(&b);
  sl_log_write(&S->engine, level, module, lua_tostring(L, -1), msg);
  return 0;
}

/* swarm:_set_speed(k) -> true, or nil, "invalid_argument" (virtual clock,
 * k < 0); swarm:_clock() -> "real" | "virtual", speed.  Internal: the
 * REPL's :speed, :pause and :resume. */
static int swarm_set_speed(lua_State *L) {
  lsl_swarm *S = luaL_checkudata(L, 1, LSL_SWARM);
  int rc = sl_engine_set_speed(&S->engine, luaL_checknumber(L, 2));
  if (rc != 0)
    return lsl_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* swarm:_loop() -> lightuserdata: the engine's uv_loop_t (real clock), for
 * the terminal's stdin watcher; swarm:_stop_run(): makes the running
 * run_for return at once (the REPL's :quit and Ctrl+D). */
static int swarm_loop(lua_State *L) {
  lsl_swarm *S = luaL_checkudata(L, 1, LSL_SWARM);
  if (S->engine.clock != SL_CLOCK_REAL)
    return luaL_error(L, "swarm:_loop: the swarm runs on the virtual clock");
  lua_pushlightuserdata(L, &S->engine.loop);
  return 1;
}

static int swarm_stop_run(lua_State *L) {
  lsl_swarm *S = luaL_checkudata(L, 1, LSL_SWARM);
  sl_engine_stop(&S->engine);
  return 0;
}

static int swarm_clock(lua_State *L) {
  lsl_swarm *S = luaL_checkudata(L, 1, LSL_SWARM);
  int real = S->engine.clock == SL_CLOCK_REAL;
  lua_pushstring(L, real ? "real" : "virtual");
  lua_pushnumber(L, real ? S->engine.speed : 0);
  return 2;
}

/* core.log_enabled(module, level) -> whether such a line would be written
 * (so a caller can skip building its fields). */
static int core_log_enabled(lua_State *L) {
  const char *module = luaL_checkstring(L, 1);
  size_t len;
  const char *lname = luaL_checklstring(L, 2, &len);
  int level = sl_log_level_of(lname, len);
  if (level < 0)
    return luaL_error(L, "unknown log level '%s' (levels: error warn info "
                         "debug trace)", lname);
  lua_pushboolean(L, sl_log_enabled(module, level));
  return 1;
}

/* core.log_configure(spec) -> true, or nil, message */
static int core_log_configure(lua_State *L) {
  char err[200];
  if (sl_log_configure(luaL_checkstring(L, 1), err, sizeof err) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

int lsl_argerror(lua_State *L, int idx, const char *what, const char *fmt,
                 ...) {
  lua_Debug ar; /* as luaL_argerror: a method's self is not counted */
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) &&
      ar.namewhat != NULL && strcmp(ar.namewhat, "method") == 0)
    idx--;
  va_list ap;
  va_start(ap, fmt);
  const char *msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return luaL_error(L, "bad argument #%d to '%s' (%s)", idx, what, msg);
}

int64_t lsl_check_seconds(lua_State *L, int idx, const char *what) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TNUMBER)
    lsl_argerror(L, idx, what, "number expected, got %s",
                 luaL_typename(L, idx));
  lua_Number s = lua_tonumber(L, idx);
  if (!(s >= 0) || !isfinite(s))
    lsl_argerror(L, idx, what, "seconds must be a finite number >= 0, got %s",
                 lsl_show(L, idx));
  if (s > LSL_SECONDS_MAX)
    lsl_argerror(L, idx, what, "seconds must be at most 1e12, got %s",
                 lsl_show(L, idx));
  return llround(s * 1e6);
}

int64_t lsl_check_period(lua_State *L, int idx, const char *what) {
  idx = lua_absindex(L, idx);
  int64_t us = lsl_check_seconds(L, idx, what);
  if (lua_tonumber(L, idx) == 0)
    lsl_argerror(L, idx, what, "period must be > 0, got %s", lsl_show(L, idx));
  if (us == 0)
    lsl_argerror(L, idx, what,
                 "period %s s is below the clock's 1 µs resolution",
                 lsl_show(L, idx));
  return us;
}

double lsl_seconds(int64_t us) { return (double)us / 1e6; }

int lsl_fail(lua_State *L, int err) {
  lua_pushnil(L);
  lua_pushstring(L, sl_strerror(err));
  return 2;
}

/* --- construction --------------------------------------------------------- */

static const char *const swarm_options[] = {
    "seed",           "clock",
    "tick",           "telemetry_interval",
    "health_check",   "offline_after",
    "event_capacity", "auto_support",
    "budget",         "targets",
    "drone",          "speed",
    "livelock",       NULL};
static const char *const clocks[] = {"virtual", "real", NULL};

static int64_t opt_period(lua_State *L, const char *fn, const char *key,
                          double def) {
  lua_Number v = lsl_opt_number(L, 1, fn, key, def);
  int64_t us = v > 0 && v <= 86400 ? llround(v * 1e6) : 0;
  if (us == 0) {
    lua_pushnumber(L, v);
    luaL_error(L, "%s: option '%s' must be in (0, 86400] seconds (got %s%s)",
               fn, key, lsl_show(L, -1),
               v > 0 && v <= 86400 ? ", below the clock's 1 µs resolution"
                                   : "");
  }
  return us;
}

static int swarm_new(lua_State *L) {
  const char *fn = "starling.swarm";
  lsl_check_options(L, 1, fn, swarm_options);
  lua_Integer seed = lsl_opt_integer(L, 1, fn, "seed", 1);
  int clock = lsl_opt_choice(L, 1, fn, "clock", "virtual", clocks);
  lua_Integer budget = lsl_opt_integer(L, 1, fn, "budget", 1000000);
  lua_Number speed = lsl_opt_number(L, 1, fn, "speed", 1.0);
  if (!(speed > 0) || speed > 10000)
    luaL_error(L, "%s: option 'speed' must be in (0, 10000] (got %f)", fn,
               (double)speed);
  if (speed != 1.0 && !clock)
    luaL_error(L, "%s: option 'speed' needs clock = \"real\" (virtual time "
                  "runs as fast as it can)", fn);
  if (budget <= 0 || budget > INT32_MAX)
    luaL_error(L, "%s: option 'budget' must be a positive integer", fn);
  lua_Integer livelock =
      lsl_opt_integer(L, 1, fn, "livelock", SL_LIVELOCK_LIMIT);
  if (livelock < 1 || livelock > UINT32_MAX)
    luaL_error(L, "%s: option 'livelock' must be in 1..4294967295", fn);
  sl_swarm_opts so;
  sl_swarm_default_opts(&so);
  so.tick_us = opt_period(L, fn, "tick", 0.1);
  so.telemetry_us = opt_period(L, fn, "telemetry_interval", 0.1);
  so.health_us = opt_period(L, fn, "health_check", 5);
  so.offline_us = opt_period(L, fn, "offline_after", 30);
  lua_Integer cap = lsl_opt_integer(L, 1, fn, "event_capacity", 1024);
  if (cap < 1 || cap > 16777216)
    luaL_error(L, "%s: option 'event_capacity' must be in 1..16777216", fn);
  so.event_capacity = (uint32_t)cap;
  so.auto_support = lsl_opt_boolean(L, 1, fn, "auto_support", 1);
  if (!lua_isnoneornil(L, 1)) {
    if (lua_getfield(L, 1, "drone") != LUA_TNIL)
      lsl_drone_opts(L, lua_gettop(L), "starling.swarm: option 'drone'",
                     &so.drone);
    lua_pop(L, 1);
  }
  lua_Integer ntargets = 0;
  sl_area tarea = {0, 0, 100, 100, 30};
  if (!lua_isnoneornil(L, 1)) {
    if (lua_getfield(L, 1, "targets") != LUA_TNIL) {
      static const char *const topts[] = {"count", "area", NULL};
      int ti = lua_gettop(L);
      lsl_check_options(L, ti, "starling.swarm: option 'targets'", topts);
      ntargets = lsl_opt_integer(L, ti, "starling.swarm: option 'targets'",
                                 "count", 0);
      if (ntargets < 0 || ntargets > 1000000)
        luaL_error(L, "%s: targets.count must be in 0..1000000", fn);
      if (lua_getfield(L, ti, "area") != LUA_TNIL)
        tarea = lsl_check_area(L, lua_gettop(L),
                               "starling.swarm: option 'targets'");
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }

  lsl_swarm *S = lua_newuserdatauv(L, sizeof(*S), 1);
  memset(S, 0, sizeof(*S));
  sl_engine_opts o = {clock ? SL_CLOCK_REAL : SL_CLOCK_VIRTUAL,
                      (uint64_t)seed, 0, 0, (double)speed};
  int rc = sl_engine_init(&S->engine, &o);
  if (rc != 0)
    return luaL_error(L, "%s: cannot create the engine: %s", fn,
                      rc < -100 ? uv_strerror(rc) : sl_strerror(rc));
  S->engine.data = S;
  S->L = L;
  S->budget = (int)budget;
  S->engine.livelock = (uint32_t)livelock;
  S->inherit = -1;
  S->tick_us = so.tick_us;
  lsl_value_ops_init(S);
  if (sl_swarm_init(&S->sw, &S->engine, &so) != 0 ||
      sl_swarm_scatter_targets(&S->sw, (uint32_t)ntargets, &tarea) != 0) {
    sl_engine_close(&S->engine);
    sl_swarm_free(&S->sw);
    S->engine.data = NULL;
    return luaL_error(L, "%s: out of memory", fn);
  }
  S->bus_ready = 1;
  luaL_setmetatable(L, LSL_SWARM);
  lua_newtable(L); /* the store */
  lua_setiuservalue(L, -2, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &swarms_key);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, S);
  lua_pop(L, 1);
  return 1;
}

/* --- time ---------------------------------------------------------------- */

static int swarm_now(lua_State *L) {
  lsl_swarm *S = lsl_checkswarm(L, 1);
  lua_pushnumber(L, lsl_seconds(sl_engine_now(&S->engine)));
  return 1;
}

static void check_not_in_task(lsl_swarm *S, lua_State *L, const char *what) {
  if (S->current != NULL)
    luaL_error(L, "swarm:%s cannot be called inside a swarm task "
                  "(use swarm:sleep to let time pass)",
               what);
}

static void run_for(lsl_swarm *S, lua_State *L, int64_t us) {
  int rc = sl_engine_run_for(&S->engine, us);
  S->L = L; /* callbacks may have left another thread here */
  if (rc == SL_EBUSY)
    luaL_error(L, "the swarm is already running (run_for from inside a "
                  "handler or callback?)");
}

static int swarm_run_for(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  int64_t us = lsl_check_seconds(L, 2, "run_for");
  check_not_in_task(S, L, "run_for");
  run_for(S, L, us);
  return 0;
}

static int swarm_run_until(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  int64_t timeout = lsl_check_seconds(L, 3, "run_until");
  check_not_in_task(S, L, "run_until");
  int64_t start = sl_engine_now(&S->engine), tick = S->tick_us;
  for (;;) {
    /* Run up to the next tick boundary (where drones have just moved), or
     * the timeout, then check: at least one tick runs before the first
     * check (API.md's amendments), so a command given just before is seen
     * carried out rather than the state it found. */
    int64_t now = sl_engine_now(&S->engine);
    int64_t next = (now / tick + 1) * tick;
    if (next > start + timeout)
      next = start + timeout;
    run_for(S, L, next > now ? next - now : 0);
    lua_pushvalue(L, 2);
    lua_call(L, 0, 1);
    int ok = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (S->engine.data == NULL)
      return luaL_error(L, "swarm:run_until: the predicate closed the swarm");
    S->L = L;
    if (ok) {
      lua_pushboolean(L, 1);
      return 1;
    }
    if (sl_engine_now(&S->engine) - start >= timeout) {
      lua_pushboolean(L, 0);
      lua_pushliteral(L, "timeout");
      return 2;
    }
  }
}

/* --- ending -------------------------------------------------------------- */

/* Runs the engine until no task started since `seq` is running (the
 * handlers of system_shutdown and what they started), or until `deadline`:
 * virtual time moves only as far as those tasks need. */
static void run_handlers(lsl_swarm *S, uint64_t seq, int64_t deadline) {
  sl_engine *e = &S->engine;
  int was = e->running;
  e->running = 1; /* nothing run from here may nest run_for */
  /* What is queued now, the handlers' dispatch among it (an actor that
   * keeps messaging itself must not keep this from returning). */
  sl__engine_drain(e, e->rq_len);
  while (lsl_task_running_since(S, seq) && !S->finalizing) {
    int64_t now = sl_engine_now(e);
    if (now >= deadline)
      break;
    if (e->clock == SL_CLOCK_VIRTUAL) {
      if (!sl__engine_step(e, deadline)) {
        /* Nothing wakes them before the deadline: they are cut off at it. */
        e->now = deadline;
        e->epoch++;
        break;
      }
    } else {
      sl__engine_run_real(e, deadline - now < 1000 ? deadline - now : 1000);
    }
  }
  e->running = was;
}

static void swarm_shutdown_now(lsl_swarm *S, int64_t timeout_us) {
  if (S->shut)
    return;
  S->shut = 1;
  /* Missions end and system_shutdown goes out while every actor still
   * runs; its handlers run (and may ask actors and wait) until they end
   * or the deadline; then every actor stops in reverse spawn order (one in
   * the middle of a message gets what is left of the deadline); what is
   * left of the tasks is cancelled.  From inside the engine (a task shuts
   * the swarm down) nothing can wait: the handlers start after it. */
  int inside = S->engine.running || S->engine.depth > 0;
  int64_t deadline = sl_engine_now(&S->engine) + timeout_us;
  uint64_t seq = S->tasks_started;
  sl_swarm_shutdown_begin(&S->sw);
  if (!inside)
    run_handlers(S, seq, deadline);
  int64_t left = deadline - sl_engine_now(&S->engine);
  sl_swarm_shutdown_finish(&S->sw, inside ? timeout_us : left > 0 ? left : 0);
  if (!S->engine.running && S->engine.depth == 0)
    sl__engine_drain(&S->engine, S->engine.rq_len); /* the last events */
  lsl_task_cancel_all(S);
}

static int swarm_shutdown(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  static const char *const allowed[] = {"timeout", NULL};
  lsl_check_options(L, 2, "swarm:shutdown", allowed);
  int64_t t = lsl_opt_seconds(L, 2, "swarm:shutdown", "timeout", 3000000, 0);
  swarm_shutdown_now(S, t);
  S->L = L;
  return 0;
}

static int swarm_close(lua_State *L) {
  lsl_swarm *S = luaL_checkudata(L, 1, LSL_SWARM);
  if (S->engine.data == NULL || S->finalizing)
    return 0;
  if (S->engine.running || S->engine.depth > 0 || S->current != NULL)
    return luaL_error(L, "swarm:close cannot be called while the swarm runs "
                         "(from a task or handler); use swarm:shutdown");
  S->L = L;
  swarm_shutdown_now(S, 0);
  lsl_task_cancel_all(S); /* also after an earlier shutdown */
  if (S->engine.data == NULL) /* closed meanwhile, from a __close handler */
    return 0;
  lsl_task_drop_pool(S);
  S->bus_ready = 0;
  lsl_event_free_handlers(S);
  lsl_control_close_all(S);
  sl_engine_close(&S->engine);
  sl_swarm_free(&S->sw);
  S->engine.data = NULL;
  return 0;
}

static int swarm_gc(lua_State *L) {
  lsl_swarm *S = luaL_checkudata(L, 1, LSL_SWARM);
  if (S->engine.data == NULL)
    return 0;
  S->finalizing = 1; /* everything Lua-side dies with us: no calls back */
  S->bus_ready = 0;
  S->pool = NULL; /* dying with us too */
  S->npool = 0;
  lsl_event_free_handlers(S);
  lsl_control_close_all(S);
  sl_engine_close(&S->engine);
  sl_swarm_free(&S->sw);
  S->engine.data = NULL;
  return 0;
}

static int swarm_tostring(lua_State *L) {
  lsl_swarm *S = luaL_checkudata(L, 1, LSL_SWARM);
  if (S->engine.data == NULL)
    lua_pushfstring(L, "starling.swarm (closed): %p", (void *)S);
  else
    lua_pushfstring(L, "starling.swarm (%s clock, t=%f, %d actors): %p",
                    S->engine.clock == SL_CLOCK_REAL ? "real" : "virtual",
                    lsl_seconds(sl_engine_now(&S->engine)),
                    (int)sl_actor_count(&S->engine), (void *)S);
  return 1;
}

/* The task functions live in lsl_task.c. */
int lsl_swarm_spawn(lua_State *L);
int lsl_swarm_sleep(lua_State *L);

static const luaL_Reg swarm_methods[] = {
    {"now", swarm_now},
    {"run_for", swarm_run_for},
    {"run_until", swarm_run_until},
    {"sleep", lsl_swarm_sleep},
    {"spawn", lsl_swarm_spawn},
    {"after", lsl_swarm_after},
    {"every", lsl_swarm_every},
    {"actor", lsl_swarm_actor},
    {"channel", lsl_swarm_channel},
    {"on", lsl_swarm_on},
    {"events", lsl_swarm_events},
    {"supervise", lsl_swarm_supervise},
    {"shutdown", swarm_shutdown},
    {"close", swarm_close},
    {"_log", swarm_log},
    {"_set_speed", swarm_set_speed},
    {"_clock", swarm_clock},
    {"_loop", swarm_loop},
    {"_stop_run", swarm_stop_run},
    {NULL, NULL},
};

static const luaL_Reg swarm_meta[] = {
    {"__gc", swarm_gc},
    {"__close", swarm_close},
    {"__tostring", swarm_tostring},
    {NULL, NULL},
};

int luaopen_starling_core(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &swarms_key) == LUA_TNIL) {
    lua_newtable(L); /* weak map engine -> swarm */
    lua_newtable(L);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &swarms_key);
  }
  lua_pop(L, 1);

  luaL_newmetatable(L, LSL_SWARM);
  luaL_setfuncs(L, swarm_meta, 0);
  luaL_newlib(L, swarm_methods);
  lsl_drone_methods(L, lua_gettop(L));
  lsl_team_methods(L, lua_gettop(L));
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lsl_task_open(L);
  lsl_timer_open(L);
  lsl_actor_open(L);
  lsl_chan_open(L);
  lsl_stream_open(L);
  lsl_event_open(L);
  lsl_sup_open(L);
  lsl_drone_open(L);

  lua_newtable(L);
  lua_pushcfunction(L, swarm_new);
  lua_setfield(L, -2, "swarm");
  luaL_getmetatable(L, LSL_SWARM);
  lua_getfield(L, -1, "__index");
  lua_setfield(L, -3, "swarm_methods"); /* for the Lua half of the API */
  lua_pop(L, 1);
  lua_pushcfunction(L, lsl_core_stream_sink);
  lua_setfield(L, -2, "stream_sink");
  lua_pushcfunction(L, lsl_core_waypoints);
  lua_setfield(L, -2, "waypoints");
  lua_pushnumber(L, LSL_COORD_MAX); /* the Lua half checks positions too */
  lua_setfield(L, -2, "coord_max");
  lsl_pred_open(L, -1);
  lsl_team_open(L, -1);
  lsl_signal_open(L, -1);
  lsl_control_open(L, -1);
  lsl_eval_open(L, -1);
  lua_pushcfunction(L, core_log_configure);
  lua_setfield(L, -2, "log_configure");
  lua_pushcfunction(L, core_log_enabled);
  lua_setfield(L, -2, "log_enabled");
  luaL_getmetatable(L, LSL_CHANNEL);
  lua_getfield(L, -1, "methods");
  lua_setfield(L, -3, "channel_methods");
  lua_pop(L, 1);
  return 1;
}
