/*
 * lsl_team.c -- what lua/starling/team.lua needs from C.
 *
 * Teams and formations are written in Lua (the slots, the bookkeeping);
 * three things are not: choosing drones by the coordinator's eligibility
 * rule, tracking formations against live positions each tick (so
 * formation_reached goes out during the tick that reaches it), and the
 * assignment of drones to slots (Hungarian up to 256, greedy beyond).
 * The swarm methods here start with an underscore: they are the Lua
 * layer's, not the API.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsl.h"
#include "swarm/assign.h"

/* swarm:_team_pick(n, near) -> ids nearest first, or nil when fewer than n
 * drones are eligible. */
static int team_pick(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  sl_vec3 near = lsl_check_pos(L, 3, "swarm:team");
  if (n < 1 || (lua_Unsigned)n > S->sw.ndrones) {
    lua_pushnil(L);
    return 1;
  }
  uint32_t *ids = malloc((size_t)n * sizeof(*ids));
  if (ids == NULL)
    return luaL_error(L, "out of memory");
  uint32_t got = sl_swarm_nearest_eligible(&S->sw, near, (uint32_t)n, ids);
  if (got < (uint32_t)n) {
    free(ids);
    lua_pushnil(L);
    return 1;
  }
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < got; i++) {
    lua_pushinteger(L, ids[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(ids);
  return 1;
}

/* swarm:_team_member_ok(id) -> whether a listed drone may join a team:
 * running, online, not in a team, without a mission. */
static int team_member_ok(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer id = luaL_checkinteger(L, 2);
  int ok = 0;
  if (id >= 0 && (lua_Unsigned)id < S->sw.ndrones) {
    sl_drone *d = S->sw.drones[id];
    ok = d != NULL && !d->stopped && d->actor != SL_ID_NONE && d->online &&
         !d->reserved && d->mission < 0;
  }
  lua_pushboolean(L, ok);
  return 1;
}

/* swarm:_reserve(id, on) */
static int reserve(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer id = luaL_checkinteger(L, 2);
  if (id < 0 || id > UINT32_MAX)
    return luaL_error(L, "no drone %d", (int)id);
  lua_pushboolean(L, sl_swarm_reserve(&S->sw, (uint32_t)id,
                                      lua_toboolean(L, 3)) == 0);
  return 1;
}

/* An array of n positions at idx into v. */
static void check_positions(lua_State *L, int idx, uint32_t n, sl_vec3 *v,
                            const char *what) {
  for (uint32_t i = 0; i < n; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    v[i] = lsl_check_pos(L, -1, what);
    lua_pop(L, 1);
  }
}

/* swarm:_formation_new(ids, slots) -> id.  Buffers are Lua userdata, so
 * a bad id or position raising leaks nothing. */
static int formation_new(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 2);
  if (n < 1 || luaL_len(L, 3) != n || n > INT32_MAX)
    return luaL_error(L, "formation: %d members for %d slots", (int)n,
                      (int)luaL_len(L, 3));
  uint32_t *ids = lua_newuserdatauv(L, (size_t)n * sizeof(*ids), 0);
  sl_vec3 *slots = lua_newuserdatauv(L, (size_t)n * sizeof(*slots), 0);
  for (lua_Integer i = 0; i < n; i++) {
    lua_rawgeti(L, 2, i + 1);
    int isnum;
    lua_Integer id = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    if (!isnum || id < 0 || (lua_Unsigned)id >= S->sw.ndrones ||
        S->sw.drones[id] == NULL)
      return luaL_error(L, "formation: member %d is not a drone id", (int)i + 1);
    ids[i] = (uint32_t)id;
  }
  check_positions(L, 3, (uint32_t)n, slots, "formation");
  int32_t id = sl_swarm_formation_new(&S->sw, (uint32_t)n, ids, slots);
  if (id < 0)
    return luaL_error(L, "formation: %s", sl_strerror(id));
  lua_pushinteger(L, id);
  return 1;
}

/* swarm:_formation_move(id, slots): as many slots as the formation has. */
static int formation_move(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer id = luaL_checkinteger(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  int32_t n = sl_swarm_formation_size(&S->sw, (int32_t)id);
  if (n < 0) {
    lua_pushboolean(L, 0);
    return 1;
  }
  if (luaL_len(L, 3) != n)
    return luaL_error(L, "team:move: %d slots for a formation of %d",
                      (int)luaL_len(L, 3), (int)n);
  sl_vec3 *slots = lua_newuserdatauv(L, (size_t)n * sizeof(*slots), 0);
  check_positions(L, 3, (uint32_t)n, slots, "team:move");
  lua_pushboolean(L,
                  sl_swarm_formation_move(&S->sw, (int32_t)id, slots) == 0);
  return 1;
}

/* swarm:_formation_drop(id) */
static int formation_drop(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer id = luaL_checkinteger(L, 2);
  lua_pushboolean(L, sl_swarm_formation_drop(&S->sw, (int32_t)id) == 0);
  return 1;
}

/* swarm:_formation_reached(id) -> true, false, or nil (not tracked) */
static int formation_reached(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  int rc = sl_swarm_formation_reached(&S->sw, (int32_t)luaL_checkinteger(L, 2));
  if (rc < 0)
    lua_pushnil(L);
  else
    lua_pushboolean(L, rc);
  return 1;
}

/* core.assign(from, to) -> a, a[i] the index in `to` for from[i]: the
 * assignment of least total (3-D) distance; optimal up to 256 points (the
 * Hungarian algorithm on their cost matrix), greedy nearest pairs beyond
 * (on the points: no n x n matrix, a few ms at 4,096). */
static int core_assign(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 1);
  if (luaL_len(L, 2) != n)
    return luaL_error(L, "assign: %d positions for %d slots", (int)n,
                      (int)luaL_len(L, 2));
  lua_createtable(L, (int)n, 0);
  if (n == 0)
    return 1;
  if (n > 4096) /* what one formation flies without holding the loop */
    return luaL_error(L, "assign: at most 4096 positions, got %d", (int)n);
  size_t un = (size_t)n;
  /* Lua owns the buffers, so a bad position raising cannot leak them. */
  sl_vec3 *a = lua_newuserdatauv(L, un * sizeof(*a), 0);
  sl_vec3 *b = lua_newuserdatauv(L, un * sizeof(*b), 0);
  uint32_t *slot_of = lua_newuserdatauv(L, un * sizeof(*slot_of), 0);
  check_positions(L, 1, (uint32_t)un, a, "assign");
  check_positions(L, 2, (uint32_t)un, b, "assign");
  int rc;
  if (un > SL_ASSIGN_OPTIMAL_MAX) {
    rc = sl_assign_greedy_points(a, b, (uint32_t)un, slot_of);
  } else {
    double *cost = malloc(un * un * sizeof(*cost));
    if (cost == NULL)
      return luaL_error(L, "out of memory");
    for (size_t i = 0; i < un; i++)
      for (size_t j = 0; j < un; j++) {
        double dx = a[i].x - b[j].x, dy = a[i].y - b[j].y, dz = a[i].z - b[j].z;
        cost[i * un + j] = sqrt(dx * dx + dy * dy + dz * dz);
      }
    rc = sl_assign_hungarian(cost, (uint32_t)un, slot_of);
    free(cost);
  }
  if (rc != 0)
    return luaL_error(L, "assign: %s", sl_strerror(rc));
  lua_pop(L, 3);
  for (size_t i = 0; i < un; i++) {
    lua_pushinteger(L, (lua_Integer)slot_of[i] + 1);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

void lsl_team_methods(lua_State *L, int methods) {
  static const luaL_Reg fns[] = {{"_team_pick", team_pick},
                                 {"_team_member_ok", team_member_ok},
                                 {"_reserve", reserve},
                                 {"_formation_new", formation_new},
                                 {"_formation_move", formation_move},
                                 {"_formation_drop", formation_drop},
                                 {"_formation_reached", formation_reached},
                                 {NULL, NULL}};
  methods = lua_absindex(L, methods);
  lua_pushvalue(L, methods);
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
}

void lsl_team_open(lua_State *L, int core) {
  core = lua_absindex(L, core);
  lua_pushcfunction(L, core_assign);
  lua_setfield(L, core, "assign");
}
