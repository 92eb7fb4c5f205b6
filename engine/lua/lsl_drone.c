/*
 * lsl_drone.c -- the swarm's Lua face for drones, missions, targets and
 * statistics (API.md sections 1-5).
 *
 * Drone handles are small userdata (the swarm and the drone's id); every
 * method goes to the C swarm (engine/swarm), and answers `nil, code` when
 * the drone is gone.  Positions come as {x=, y=, z=} or {x, y, z} (z
 * defaults to 0) and go back as {x=, y=, z=}.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsl.h"

typedef struct lsl_drone {
  lsl_swarm *S;
  uint32_t id;
} lsl_drone;

/* --- reading arguments ------------------------------------------------- */

static int num_field(lua_State *L, int t, const char *key, int i,
                     double *out) {
  lua_getfield(L, t, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_rawgeti(L, t, i);
  }
  int ok = lua_type(L, -1) == LUA_TNUMBER;
  if (ok)
    *out = lua_tonumber(L, -1);
  int none = lua_isnil(L, -1);
  lua_pop(L, 1);
  return ok ? 1 : none ? 0 : -1;
}

sl_vec3 lsl_check_pos_named(lua_State *L, int idx, const char *fname,
                            const char *arg) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx))
    luaL_error(L, "%s: %s must be a table {x=, y=, z=} or {x, y, z} (got %s)",
               fname, strcmp(arg, "position") == 0 ? "a position" : arg,
               luaL_typename(L, idx));
  sl_vec3 v = {0, 0, 0};
  const char *names[3] = {"x", "y", "z"};
  double *f[3] = {&v.x, &v.y, &v.z};
  for (int i = 0; i < 3; i++) {
    int rc = num_field(L, idx, names[i], i + 1, f[i]);
    if (rc == 0 && i < 2)
      luaL_error(L, "%s: %s needs a number %s", fname, arg, names[i]);
    if (rc < 0) {
      lua_getfield(L, idx, names[i]);
      if (lua_isnil(L, -1))
        lua_rawgeti(L, idx, i + 1);
      luaL_error(L, "%s: %s needs a number %s (got %s)", fname, arg, names[i],
                 luaL_typename(L, -1));
    }
    if (!isfinite(*f[i]) || fabs(*f[i]) > LSL_COORD_MAX) {
      lua_pushnumber(L, *f[i]);
      luaL_error(L,
                 isfinite(*f[i]) ? "%s: %s %s must be within ±1e9 m (got %s)"
                                 : "%s: %s %s must be a finite number (got %s)",
                 fname, arg, names[i], lsl_show(L, -1));
    }
  }
  return v;
}

sl_vec3 lsl_check_pos(lua_State *L, int idx, const char *what) {
  return lsl_check_pos_named(L, idx, what, "position");
}

static const char *const area_fields[] = {"min", "max", "altitude", NULL};

sl_area lsl_check_area(lua_State *L, int idx, const char *what) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx))
    luaL_error(L, "%s: area must be a table {min=, max=, altitude=} (got %s)",
               what, luaL_typename(L, idx));
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    int known = 0;
    for (int i = 0; area_fields[i] != NULL && !known; i++)
      known = lua_type(L, -1) == LUA_TSTRING &&
              strcmp(lua_tostring(L, -1), area_fields[i]) == 0;
    if (!known)
      luaL_error(L, "%s: unknown area field %s (min, max, altitude)", what,
                 lsl_show(L, -1));
  }
  sl_area a = {0, 0, 100, 100, 30};
  if (lua_getfield(L, idx, "min") != LUA_TNIL) {
    sl_vec3 p = lsl_check_pos_named(L, -1, what, "area min");
    a.minx = p.x;
    a.miny = p.y;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "max") != LUA_TNIL) {
    sl_vec3 p = lsl_check_pos_named(L, -1, what, "area max");
    a.maxx = p.x;
    a.maxy = p.y;
  }
  lua_pop(L, 1);
  int t = lua_getfield(L, idx, "altitude");
  if (t != LUA_TNIL) {
    a.alt = lua_tonumber(L, -1);
    if (t != LUA_TNUMBER || !isfinite(a.alt) || fabs(a.alt) > LSL_COORD_MAX)
      luaL_error(L, "%s: area altitude must be a finite number (got %s)", what,
                 t == LUA_TNUMBER ? lsl_show(L, -1) : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  if (a.minx > a.maxx || a.miny > a.maxy)
    luaL_error(L, "%s: area min must not exceed max", what);
  return a;
}

const char *const lsl_drone_option_names[] = {
    "speed", "scan_radius", "low_battery", "critical_battery",
    "drain", "charge_rate", "mailbox",     NULL};

void lsl_drone_opts(lua_State *L, int idx, const char *fname,
                    sl_drone_opts *o) {
  idx = lua_absindex(L, idx);
  o->speed = lsl_opt_number(L, idx, fname, "speed", o->speed);
  o->scan_radius = lsl_opt_number(L, idx, fname, "scan_radius",
                                  o->scan_radius);
  o->low_battery = (int)lsl_opt_integer(L, idx, fname, "low_battery",
                                        o->low_battery);
  o->critical_battery = (int)lsl_opt_integer(L, idx, fname,
                                             "critical_battery",
                                             o->critical_battery);
  o->drain = lsl_opt_number(L, idx, fname, "drain", o->drain);
  o->charge_rate = lsl_opt_number(L, idx, fname, "charge_rate",
                                  o->charge_rate);
  lua_Integer mb = lsl_opt_integer(L, idx, fname, "mailbox", o->mailbox);
  if (!(o->speed > 0) || !isfinite(o->speed))
    luaL_error(L, "%s: option 'speed' must be > 0", fname);
  if (!(o->scan_radius >= 0) || !isfinite(o->scan_radius))
    luaL_error(L, "%s: option 'scan_radius' must be >= 0", fname);
  if (o->low_battery < 0 || o->low_battery > 100)
    luaL_error(L, "%s: option 'low_battery' must be in 0..100", fname);
  if (o->critical_battery < 0 || o->critical_battery > o->low_battery)
    luaL_error(L, "%s: option 'critical_battery' must be in 0..low_battery",
               fname);
  if (!(o->drain >= 0) || !isfinite(o->drain))
    luaL_error(L, "%s: option 'drain' must be >= 0", fname);
  if (!(o->charge_rate > 0) || !isfinite(o->charge_rate))
    luaL_error(L, "%s: option 'charge_rate' must be > 0", fname);
  if (mb < 1 || mb > 1000000)
    luaL_error(L, "%s: option 'mailbox' must be in 1..1000000", fname);
  o->mailbox = (uint32_t)mb;
}

static void push_vec(lua_State *L, sl_vec3 v) {
  lua_createtable(L, 0, 3);
  lua_pushnumber(L, v.x);
  lua_setfield(L, -2, "x");
  lua_pushnumber(L, v.y);
  lua_setfield(L, -2, "y");
  lua_pushnumber(L, v.z);
  lua_setfield(L, -2, "z");
}

/* --- drone handles -------------------------------------------------------- */

static void push_drone(lua_State *L, lsl_swarm *S, int sw_idx, uint32_t id) {
  lsl_drone *d = lua_newuserdatauv(L, sizeof(*d), 1);
  d->S = S;
  d->id = id;
  luaL_setmetatable(L, LSL_DRONE);
  lua_pushvalue(L, sw_idx);
  lua_setiuservalue(L, -2, 1);
}

static lsl_drone *checkdrone(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, LSL_DRONE);
}

/* The drone behind a handle if it flies, else NULL (and S->L set). */
static sl_drone *live(lua_State *L, lsl_drone *h) {
  if (h->S->engine.data == NULL || h->S->finalizing)
    return NULL;
  h->S->L = L;
  return sl_swarm_drone(&h->S->sw, h->id);
}

/* What a handle shows of a drone: what it is doing now, or, when its link
 * is down, the last status it published (API.md's amendments). */
static sl_drone_status seen(const sl_drone *d) {
  if (d->comms_lost) {
    const sl_drone_status *st = sl__drone_status(d);
    if (st != NULL)
      return *st;
  }
  sl_drone_status st = {0,        d->pos,    d->vel,    d->battery_np,
                        d->state, d->reason, d->mission};
  return st;
}

static void push_status(lua_State *L, lsl_swarm *S, const sl_drone *d) {
  sl_drone_status st = seen(d);
  lua_createtable(L, 0, 7);
  lua_pushinteger(L, d->id);
  lua_setfield(L, -2, "id");
  push_vec(L, st.pos);
  lua_setfield(L, -2, "position");
  lua_pushinteger(L, sl_battery_pct(st.battery_np));
  lua_setfield(L, -2, "battery");
  lua_pushstring(L, sl_state_names[st.state]);
  lua_setfield(L, -2, "state");
  lua_pushstring(L, st.reason);
  lua_setfield(L, -2, "reason");
  push_vec(L, st.vel);
  lua_setfield(L, -2, "velocity");
  if (st.mission >= 0) {
    lua_pushstring(L, S->sw.missions[st.mission]->id);
    lua_setfield(L, -2, "mission");
  }
}

static int d_status(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  sl_drone *d = live(L, h);
  if (d == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  push_status(L, h->S, d);
  return 1;
}

static int d_position(lua_State *L) {
  sl_drone *d = live(L, checkdrone(L, 1));
  if (d == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  push_vec(L, seen(d).pos);
  return 1;
}

static int d_battery(lua_State *L) {
  sl_drone *d = live(L, checkdrone(L, 1));
  if (d == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  lua_pushinteger(L, sl_battery_pct(seen(d).battery_np));
  return 1;
}

static int d_state(lua_State *L) {
  sl_drone *d = live(L, checkdrone(L, 1));
  if (d == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  lua_pushstring(L, sl_state_names[seen(d).state]);
  return 1;
}

static int answer(lua_State *L, int rc) {
  if (rc != 0)
    return lsl_fail(L, rc == SL_EFULL ? SL_EFULL : rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int d_move_to(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  sl_vec3 goal = lsl_check_pos(L, 2, "drone:move_to");
  if (live(L, h) == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  return answer(L, sl_drone_move_to(&h->S->sw, h->id, goal));
}

/* Raises the error of a lawnmower path that could not be made. */
static int waypoints_failed(lua_State *L, const char *fn, int rc,
                            double spacing) {
  if (rc == SL_ETOOBIG) {
    char sp[32]; /* %g: lua_pushfstring has no such format */
    snprintf(sp, sizeof(sp), "%g", spacing);
    return luaL_error(L,
                      "%s: more than %d rows of waypoints at spacing %s; use "
                      "a larger spacing or a smaller area",
                      fn, SL_AREA_MAX_ROWS, sp);
  }
  return luaL_error(L, "%s: %s", fn, sl_strerror(rc));
}

static int d_patrol(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  sl_area a = lsl_check_area(L, 2, "drone:patrol");
  if (live(L, h) == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  sl_vec3 *wp;
  uint32_t n;
  int rc = sl_area_waypoints(&a, 100, &wp, &n);
  if (rc != 0)
    return waypoints_failed(L, "drone:patrol", rc, 100);
  rc = sl_drone_patrol(&h->S->sw, h->id, wp, n);
  free(wp);
  return answer(L, rc);
}

static int d_return(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  if (live(L, h) == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  return answer(L, sl_drone_return(&h->S->sw, h->id));
}

static int d_emergency(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  const char *reason = luaL_optstring(L, 2, "emergency");
  if (live(L, h) == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  return answer(L, sl_drone_emergency(&h->S->sw, h->id, reason));
}

static int d_shutdown(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  if (live(L, h) == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  return answer(L, sl_drone_shutdown(&h->S->sw, h->id));
}

static int d_fail(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  static const char *const kinds[] = {"comms", "gps", "crash", NULL};
  const char *k = luaL_checkstring(L, 2);
  int kind = -1;
  for (int i = 0; kinds[i]; i++)
    if (strcmp(kinds[i], k) == 0)
      kind = i;
  if (kind < 0)
    return luaL_error(L, "drone:fail: unknown fault '%s' (comms, gps or "
                         "crash)",
                      k);
  if (live(L, h) == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  return answer(L, sl_drone_fail(&h->S->sw, h->id, kind));
}

static int d_repair(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  if (live(L, h) == NULL)
    return lsl_fail(L, SL_ESTOPPED);
  return answer(L, sl_drone_repair(&h->S->sw, h->id));
}

static int d_index(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "id") == 0) {
    lua_pushinteger(L, h->id);
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, k);
  return 1;
}

/* __eq runs for any two userdata when either has it: a drone is equal only
 * to a handle of the same drone; anything else is simply not equal. */
static int d_eq(lua_State *L) {
  lsl_drone *a = luaL_testudata(L, 1, LSL_DRONE);
  lsl_drone *b = luaL_testudata(L, 2, LSL_DRONE);
  lua_pushboolean(L, a != NULL && b != NULL && a->S == b->S && a->id == b->id);
  return 1;
}

static int d_tostring(lua_State *L) {
  lsl_drone *h = checkdrone(L, 1);
  sl_drone *d = live(L, h);
  lua_pushfstring(L, "starling.drone %d (%s)", (int)h->id,
                  d ? sl_state_names[d->state] : "stopped");
  return 1;
}

static int d_nothing(lua_State *L) {
  (void)L; /* a handle is a name: nothing to free */
  return 0;
}

/* --- swarm methods: drones ------------------------------------------------ */

static const char *spawn_extra[] = {"base", "battery", NULL};

/* Checks opts against the drone options plus `extra`. */
static void check_spawn_opts(lua_State *L, int idx, const char *fname,
                             const char *const *extra) {
  const char *allowed[16];
  int n = 0;
  for (int i = 0; lsl_drone_option_names[i]; i++)
    allowed[n++] = lsl_drone_option_names[i];
  for (int i = 0; extra[i]; i++)
    allowed[n++] = extra[i];
  allowed[n] = NULL;
  lsl_check_options(L, idx, fname, allowed);
}

static uint32_t spawn_one(lua_State *L, lsl_swarm *S, int opts, sl_vec3 base,
                          const char *fname) {
  sl_drone_opts o = S->sw.o.drone;
  int battery = 100;
  if (!lua_isnoneornil(L, opts)) {
    lsl_drone_opts(L, opts, fname, &o);
    lua_Integer b = lsl_opt_integer(L, opts, fname, "battery", 100);
    if (b < 0 || b > 100)
      luaL_error(L, "%s: option 'battery' must be in 0..100", fname);
    battery = (int)b;
  }
  if (S->shut)
    luaL_error(L, "%s: the swarm has shut down", fname);
  uint32_t id;
  int rc = sl_swarm_spawn_drone(&S->sw, base, battery, &o, &id);
  S->L = L;
  if (rc != 0)
    luaL_error(L, "%s: %s", fname, sl_strerror(rc));
  return id;
}

static int s_spawn_drone(lua_State *L) {
  const char *fn = "swarm:spawn_drone";
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  check_spawn_opts(L, 2, fn, spawn_extra);
  sl_vec3 base = {0, 0, 0};
  if (!lua_isnoneornil(L, 2)) {
    if (lua_getfield(L, 2, "base") != LUA_TNIL)
      base = lsl_check_pos_named(L, -1, fn, "option 'base'");
    lua_pop(L, 1);
  }
  uint32_t id = spawn_one(L, S, 2, base, fn);
  push_drone(L, S, 1, id);
  return 1;
}

static int s_spawn_fleet(lua_State *L) {
  const char *fn = "swarm:spawn_fleet";
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 0 || n > 10000000)
    return luaL_error(L, "%s: the count must be in 0..10000000", fn);
  static const char *extra[] = {"origin", "battery", NULL};
  check_spawn_opts(L, 3, fn, extra);
  sl_vec3 origin = {0, 0, 0};
  if (!lua_isnoneornil(L, 3)) {
    if (lua_getfield(L, 3, "origin") != LUA_TNIL)
      origin = lsl_check_pos_named(L, -1, fn, "option 'origin'");
    lua_pop(L, 1);
  }
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 0; i < n; i++) {
    sl_vec3 base = sl_v3(origin.x + (double)(i % 10) * 50,
                         origin.y + (double)(i / 10) * 50, origin.z);
    uint32_t id = spawn_one(L, S, 3, base, fn);
    push_drone(L, S, 1, id);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int s_drone(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer id = luaL_checkinteger(L, 2);
  if (id < 0 || id > UINT32_MAX || sl_swarm_drone(&S->sw, (uint32_t)id) == NULL)
    return 0;
  push_drone(L, S, 1, (uint32_t)id);
  return 1;
}

/* Checks a swarm:drones filter table before any drone is looked at, so a
 * typo is an error even with no drone to compare: known fields only, each
 * with a value of its type, and a state that is a state's name. */
static void check_drone_filter(lua_State *L, int filt) {
  static const char *const keys[] = {"id",      "state",   "reason",
                                     "battery", "mission", NULL};
  static const int types[] = {LUA_TNUMBER, LUA_TSTRING, LUA_TSTRING,
                              LUA_TNUMBER, LUA_TSTRING};
  const char *fn = "swarm:drones";
  lua_pushnil(L);
  while (lua_next(L, filt) != 0) {
    int k = -1;
    for (int i = 0; keys[i] && lua_type(L, -2) == LUA_TSTRING; i++)
      if (strcmp(keys[i], lua_tostring(L, -2)) == 0)
        k = i;
    if (k < 0) {
      luaL_error(L,
                 "%s: unknown filter field %s (id, state, reason, battery "
                 "or mission)",
                 fn, lsl_show(L, -2));
      return;
    }
    if (lua_type(L, -1) != types[k])
      luaL_error(L, "%s: filter field '%s' must be a %s (got %s)", fn, keys[k],
                 lua_typename(L, types[k]), luaL_typename(L, -1));
    if (k == 0 && !lua_isinteger(L, -1) &&
        lua_tonumber(L, -1) != floor(lua_tonumber(L, -1)))
      luaL_error(L, "%s: filter field 'id' must be an integer (got %s)", fn,
                 lsl_show(L, -1));
    if (k == 1) {
      int known = 0;
      for (int i = 0; i < SL_DS_COUNT && !known; i++)
        known = strcmp(sl_state_names[i], lua_tostring(L, -1)) == 0;
      if (!known) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (int i = 0; i < SL_DS_COUNT; i++) {
          luaL_addstring(&b, i ? ", '" : "'");
          luaL_addstring(&b, sl_state_names[i]);
          luaL_addchar(&b, '\'');
        }
        luaL_pushresult(&b);
        const char *names = lua_tostring(L, -1);
        luaL_error(L, "%s: filter field 'state' must be one of %s (got %s)", fn,
                   names, lsl_show(L, -2));
      }
    }
    lua_pop(L, 1);
  }
}

static int filter_match(lua_State *L, int filt, lsl_swarm *S, sl_drone *d) {
  push_status(L, S, d);
  int st = lua_gettop(L);
  int ok = 1;
  lua_pushnil(L);
  while (ok && lua_next(L, filt) != 0) {
    lua_pushvalue(L, -2);
    lua_gettable(L, st);
    ok = lua_compare(L, -1, -2, LUA_OPEQ);
    lua_pop(L, 2);
  }
  if (!ok)
    lua_pop(L, 1); /* the key lua_next left */
  lua_settop(L, st - 1);
  return ok;
}

static int s_drones(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  int t = lua_type(L, 2);
  if (t != LUA_TNONE && t != LUA_TNIL && t != LUA_TTABLE &&
      t != LUA_TFUNCTION)
    return luaL_error(L, "swarm:drones: the filter must be a table or a "
                         "function (got %s)",
                      luaL_typename(L, 2));
  if (t == LUA_TTABLE)
    check_drone_filter(L, 2);
  lua_newtable(L);
  int out = lua_gettop(L), n = 0;
  for (uint32_t i = 0; i < S->sw.ndrones; i++) {
    sl_drone *d = sl_swarm_drone(&S->sw, i);
    if (d == NULL)
      continue;
    if (t == LUA_TTABLE && !filter_match(L, 2, S, d))
      continue;
    push_drone(L, S, 1, i);
    if (t == LUA_TFUNCTION) {
      lua_pushvalue(L, 2);
      lua_pushvalue(L, -2);
      lua_call(L, 1, 1);
      int keep = lua_toboolean(L, -1);
      lua_pop(L, 1);
      S->L = L;
      if (!keep) {
        lua_pop(L, 1);
        continue;
      }
    }
    lua_rawseti(L, out, ++n);
  }
  return 1;
}

/* swarm:_select([state]) -> the ids of the drones that fly (in that
 * state, a state's name), in id order, as an array of integers: the
 * shorthand's selector, done in C because a Lua loop over the fleet (or
 * one handle per drone) holds the loop for tens of milliseconds at 100,000
 * drones.  An unknown state selects nothing. */
static int s_select(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  const char *state = luaL_optstring(L, 2, NULL);
  lua_createtable(L, 0, 0);
  lua_Integer n = 0;
  for (uint32_t i = 0; i < S->sw.ndrones; i++) {
    sl_drone *d = sl_swarm_drone(&S->sw, i);
    if (d == NULL ||
        (state != NULL && strcmp(sl_state_names[d->state], state) != 0))
      continue;
    lua_pushinteger(L, i);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* swarm:_handle(id) -> a handle for drone `id` whether or not it still
 * flies (its methods answer nil, code when it is gone): for a selection
 * made earlier and acted on a slice at a time. */
static int s_handle(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer id = luaL_checkinteger(L, 2);
  luaL_argcheck(L, id >= 0 && id <= UINT32_MAX, 2, "a drone id");
  push_drone(L, S, 1, (uint32_t)id);
  return 1;
}

static int s_count(lua_State *L) {
  lsl_swarm *S = lsl_checkswarm(L, 1);
  lua_pushinteger(L, S->sw.live);
  return 1;
}

/* --- missions ---------------------------------------------------------- */

static void push_area(lua_State *L, const sl_area *a) {
  lua_createtable(L, 0, 3);
  lua_createtable(L, 0, 2);
  lua_pushnumber(L, a->minx);
  lua_setfield(L, -2, "x");
  lua_pushnumber(L, a->miny);
  lua_setfield(L, -2, "y");
  lua_setfield(L, -2, "min");
  lua_createtable(L, 0, 2);
  lua_pushnumber(L, a->maxx);
  lua_setfield(L, -2, "x");
  lua_pushnumber(L, a->maxy);
  lua_setfield(L, -2, "y");
  lua_setfield(L, -2, "max");
  lua_pushnumber(L, a->alt);
  lua_setfield(L, -2, "altitude");
  if (lua_getfield(L, LUA_REGISTRYINDEX, "starling.area") == LUA_TTABLE)
    lua_setmetatable(L, -2); /* an area object, as starling.area makes */
  else
    lua_pop(L, 1);
}

static void push_mission(lua_State *L, const sl_mission *m) {
  lua_createtable(L, 0, 6);
  lua_pushstring(L, m->id);
  lua_setfield(L, -2, "id");
  lua_pushstring(L, sl_mission_status_names[m->status]);
  lua_setfield(L, -2, "status");
  if (m->drone >= 0) {
    lua_pushinteger(L, m->drone);
    lua_setfield(L, -2, "drone");
  }
  lua_pushinteger(L, m->laps_done);
  lua_setfield(L, -2, "laps_done");
  lua_pushinteger(L, m->laps); /* 0: until cancelled */
  lua_setfield(L, -2, "laps");
  push_area(L, &m->area);
  lua_setfield(L, -2, "area");
}

static int s_create_mission(lua_State *L) {
  const char *fn = "swarm:create_mission";
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  static const char *const opts[] = {"area", "laps", "queue", "deadline",
                                     NULL};
  lsl_check_options(L, 2, fn, opts);
  sl_area a = {0, 0, 100, 100, 30};
  if (!lua_isnoneornil(L, 2)) {
    if (lua_getfield(L, 2, "area") != LUA_TNIL)
      a = lsl_check_area(L, -1, fn);
    lua_pop(L, 1);
  }
  lua_Integer laps = lsl_opt_integer(L, 2, fn, "laps", 1);
  if (laps < 0 || laps > 1000000)
    return luaL_error(L, "%s: option 'laps' must be in 0..1000000", fn);
  int queue = lsl_opt_boolean(L, 2, fn, "queue", 0);
  int64_t deadline = lsl_opt_seconds(L, 2, fn, "deadline", -1, 0);
  if (S->shut)
    return luaL_error(L, "%s: the swarm has shut down", fn);
  const char *id;
  int rc = sl_swarm_create_mission(&S->sw, &a, 100, (uint32_t)laps, queue,
                                   deadline, &id);
  S->L = L;
  if (rc == SL_ENODRONE)
    return lsl_fail(L, rc);
  if (rc != 0)
    return waypoints_failed(L, fn, rc, 100);
  lua_pushstring(L, id);
  return 1;
}

static int s_cancel_mission(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  const char *id = luaL_checkstring(L, 2);
  int rc = sl_swarm_cancel_mission(&S->sw, id);
  S->L = L;
  if (rc != 0)
    return lsl_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int s_mission(lua_State *L) {
  lsl_swarm *S = lsl_checkswarm(L, 1);
  const sl_mission *m = sl_swarm_mission(&S->sw, luaL_checkstring(L, 2));
  if (m == NULL)
    return 0;
  push_mission(L, m);
  return 1;
}

static int s_missions(lua_State *L) {
  lsl_swarm *S = lsl_checkswarm(L, 1);
  int want = -1;
  if (!lua_isnoneornil(L, 2)) {
    const char *st = luaL_checkstring(L, 2);
    for (int i = 0; i < 5; i++)
      if (strcmp(sl_mission_status_names[i], st) == 0)
        want = i;
    if (want < 0)
      return luaL_error(L, "swarm:missions: unknown status '%s' (pending, "
                           "assigned, completed, cancelled or failed)",
                        st);
  }
  lua_newtable(L);
  int n = 0;
  for (uint32_t i = 0; i < S->sw.nmissions; i++) {
    const sl_mission *m = S->sw.missions[i];
    if (want >= 0 && m->status != want)
      continue;
    push_mission(L, m);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* --- targets -------------------------------------------------------------- */

static int s_add_target(lua_State *L) {
  const char *fn = "swarm:add_target";
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  static const char *const opts[] = {"position", "threat", "velocity", NULL};
  lsl_check_options(L, 2, fn, opts);
  if (lua_getfield(L, 2, "position") == LUA_TNIL)
    return luaL_error(L, "%s: 'position' is required", fn);
  sl_vec3 pos = lsl_check_pos_named(L, -1, fn, "option 'position'");
  lua_pop(L, 1);
  sl_vec3 vel = {0, 0, 0};
  if (lua_getfield(L, 2, "velocity") != LUA_TNIL)
    vel = lsl_check_pos_named(L, -1, fn, "option 'velocity'");
  lua_pop(L, 1);
  int threat = SL_THREAT_MEDIUM;
  if (lua_getfield(L, 2, "threat") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING)
      return luaL_error(L, "%s: option 'threat' must be a string (got %s)", fn,
                        luaL_typename(L, -1));
    const char *t = lua_tostring(L, -1);
    threat = -1;
    for (int i = 0; i < 4; i++)
      if (strcmp(sl_threat_names[i], t) == 0)
        threat = i;
    if (threat < 0)
      return luaL_error(L, "%s: unknown threat '%s' (low, medium, high or "
                           "critical)",
                        fn, t);
  }
  lua_pop(L, 1);
  uint32_t id;
  int rc = sl_swarm_add_target(&S->sw, pos, threat, vel, &id);
  if (rc != 0)
    return luaL_error(L, "%s: %s", fn, sl_strerror(rc));
  lua_pushinteger(L, id);
  return 1;
}

static int s_remove_target(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer id = luaL_checkinteger(L, 2);
  int rc = (id < 0 || id > UINT32_MAX)
               ? SL_ENOTFOUND
               : sl_swarm_remove_target(&S->sw, (uint32_t)id);
  if (rc != 0)
    return lsl_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* swarm:targets() -> an array of {id, position, threat, detected, lost} in
 * id order: every target not removed, and those removed after they were
 * detected (lost).  The prompt's :targets and :alert read it. */
static int s_targets(lua_State *L) {
  lsl_swarm *S = lsl_checkswarm(L, 1);
  lua_newtable(L);
  int n = 0;
  for (uint32_t i = 0; i < S->sw.ntargets; i++) {
    const sl_target *t = &S->sw.targets[i];
    if (t->removed && !t->detected)
      continue;
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, t->id);
    lua_setfield(L, -2, "id");
    push_vec(L, t->pos);
    lua_setfield(L, -2, "position");
    lua_pushstring(L, sl_threat_names[t->threat]);
    lua_setfield(L, -2, "threat");
    lua_pushboolean(L, t->detected);
    lua_setfield(L, -2, "detected");
    lua_pushboolean(L, t->removed);
    lua_setfield(L, -2, "lost");
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* swarm:alert_level() -> "normal", "elevated", "high" or "critical": the
 * level the last alert_level event announced. */
static int s_alert_level(lua_State *L) {
  lsl_swarm *S = lsl_checkswarm(L, 1);
  lua_pushstring(L, sl_level_names[S->sw.alert]);
  return 1;
}

/* --- stats -------------------------------------------------------------- */

static int s_stats(lua_State *L) {
  lsl_swarm *S = lsl_checkswarm(L, 1);
  sl_swarm_stats st;
  sl_swarm_stats_get(&S->sw, &st);
  lua_createtable(L, 0, 12);
  lua_pushnumber(L, st.t);
  lua_setfield(L, -2, "t");
#define FIELD(name, value)                                                     \
  lua_pushinteger(L, (lua_Integer)(value));                                    \
  lua_setfield(L, -2, name)
  FIELD("drones", st.drones);
  FIELD("online", st.online);
  FIELD("offline", st.offline);
  FIELD("active_missions", st.active_missions);
  FIELD("pending_missions", st.pending_missions);
  FIELD("missions_completed", st.missions_completed);
  FIELD("targets_detected", st.targets_detected);
  FIELD("messages_sent", st.messages_sent);
  FIELD("messages_received", st.messages_received);
  /* failed tasks, and actors failed for a livelock (engine/rt/actor.c) */
  FIELD("handler_errors", S->handler_errors + S->engine.livelocks);
  FIELD("restarts", st.restarts + S->restarts);
#undef FIELD
  return 1;
}

/* core.waypoints(area, spacing) -> the lawnmower path (area:waypoints). */
static int core_waypoints(lua_State *L) {
  sl_area a = lsl_check_area(L, 1, "area:waypoints");
  lua_Number spacing = 100;
  if (!lua_isnoneornil(L, 2)) {
    spacing = lua_tonumber(L, 2);
    if (lua_type(L, 2) != LUA_TNUMBER || !(spacing > 0) || !isfinite(spacing))
      return luaL_error(L,
                        "area:waypoints: spacing must be a number > 0 "
                        "(got %s)",
                        lua_type(L, 2) == LUA_TNUMBER ? lsl_show(L, 2)
                                                      : luaL_typename(L, 2));
  }
  sl_vec3 *wp;
  uint32_t n;
  int rc = sl_area_waypoints(&a, spacing, &wp, &n);
  if (rc != 0)
    return waypoints_failed(L, "area:waypoints", rc, spacing);
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < n; i++) {
    push_vec(L, wp[i]);
    lua_rawseti(L, -2, i + 1);
  }
  free(wp);
  return 1;
}

void lsl_drone_methods(lua_State *L, int methods) {
  static const luaL_Reg m[] = {{"spawn_drone", s_spawn_drone},
                               {"spawn_fleet", s_spawn_fleet},
                               {"drone", s_drone},
                               {"drones", s_drones},
                               {"count", s_count},
                               {"_select", s_select},
                               {"_handle", s_handle},
                               {"create_mission", s_create_mission},
                               {"cancel_mission", s_cancel_mission},
                               {"mission", s_mission},
                               {"missions", s_missions},
                               {"add_target", s_add_target},
                               {"remove_target", s_remove_target},
                               {"targets", s_targets},
                               {"alert_level", s_alert_level},
                               {"stats", s_stats},
                               {NULL, NULL}};
  lua_pushvalue(L, methods);
  luaL_setfuncs(L, m, 0);
  lua_pop(L, 1);
}

void lsl_drone_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"status", d_status},         {"position", d_position},
      {"battery", d_battery},       {"state", d_state},
      {"move_to", d_move_to},       {"patrol", d_patrol},
      {"return_to_base", d_return}, {"emergency_stop", d_emergency},
      {"shutdown", d_shutdown},     {"fail", d_fail},
      {"repair", d_repair},         {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__index", d_index},
                                  {"__eq", d_eq},
                                  {"__tostring", d_tostring},
                                  {"__gc", d_nothing},
                                  {"__close", d_nothing},
                                  {NULL, NULL}};
  luaL_newmetatable(L, LSL_DRONE);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);
}

int lsl_core_waypoints(lua_State *L) { return core_waypoints(L); }
