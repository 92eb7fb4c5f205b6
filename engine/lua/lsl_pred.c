/*
 * lsl_pred.c -- compiled filters for Lua: predicates and event patterns.
 *
 * lua/starling/filter.lua parses the filter language with LPeg and hands
 * the conditions here; what comes back is a userdata holding a C predicate
 * (engine/stream/pred.h), evaluated in C for each event or sample.  The
 * lists of event types, event fields and sample fields are exported so the
 * parser can point at a bad name with its column.
 */
#include <string.h>

#include "lsl.h"
#include "stream/pred.h"

typedef struct lsl_pred {
  sl_pred *p;
} lsl_pred;

static const char *const ops[] = {"==", "~=", "<", "<=", ">", ">=", NULL};

/* core.predicate({{path=, op=, value=}, ...}) -> predicate */
static int core_predicate(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lsl_pred *u = lua_newuserdatauv(L, sizeof(*u), 0);
  u->p = sl_pred_new();
  if (u->p == NULL)
    return luaL_error(L, "out of memory");
  luaL_setmetatable(L, LSL_PRED);
  lua_Integer n = luaL_len(L, 1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    lua_getfield(L, -1, "path");
    const char *path = luaL_checkstring(L, -1);
    lua_getfield(L, -2, "op");
    const char *op = luaL_checkstring(L, -1);
    int opi = -1;
    for (int k = 0; ops[k]; k++)
      if (strcmp(ops[k], op) == 0)
        opi = k;
    if (opi < 0)
      return luaL_error(L, "predicate: unknown operator '%s'", op);
    lua_getfield(L, -3, "value");
    int rc;
    if (lua_type(L, -1) == LUA_TNUMBER)
      rc = sl_pred_add(u->p, path, opi, NULL, lua_tonumber(L, -1));
    else if (lua_type(L, -1) == LUA_TSTRING)
      rc = sl_pred_add(u->p, path, opi, lua_tostring(L, -1), 0);
    else
      return luaL_error(L, "predicate: a value must be a number or a string");
    if (rc != 0)
      return luaL_error(L, "predicate: %s", sl_strerror(rc));
    lua_pop(L, 4);
  }
  return 1;
}

sl_pred *lsl_checkpred(lua_State *L, int idx) {
  return ((lsl_pred *)luaL_checkudata(L, idx, LSL_PRED))->p;
}

static int pred_gc(lua_State *L) {
  lsl_pred *u = luaL_checkudata(L, 1, LSL_PRED);
  sl_pred_release(u->p);
  u->p = NULL;
  return 0;
}

static int pred_tostring(lua_State *L) {
  lsl_pred *u = luaL_checkudata(L, 1, LSL_PRED);
  lua_pushfstring(L, "starling.predicate (%d conditions)",
                  u->p ? (int)u->p->n : 0);
  return 1;
}

/* core.event_pattern(type | "*", predicate | nil) -> pattern */
static int core_event_pattern(lua_State *L) {
  const char *t = luaL_checkstring(L, 1);
  int type = strcmp(t, "*") == 0 ? -1 : sl_event_type(t);
  if (type < 0 && strcmp(t, "*") != 0)
    return luaL_error(L, "unknown event type '%s'", t);
  sl_pred *p = lua_isnoneornil(L, 2) ? NULL : lsl_checkpred(L, 2);
  lsl_pattern *u = lua_newuserdatauv(L, sizeof(*u), 1);
  u->type = type;
  u->pred = p;
  if (p)
    sl_pred_retain(p);
  luaL_setmetatable(L, LSL_PATTERN);
  lua_pushvalue(L, 1); /* its source, for tostring */
  lua_setiuservalue(L, -2, 1);
  return 1;
}

static int pattern_gc(lua_State *L) {
  lsl_pattern *u = luaL_checkudata(L, 1, LSL_PATTERN);
  sl_pred_release(u->pred);
  u->pred = NULL;
  return 0;
}

static int pattern_tostring(lua_State *L) {
  luaL_checkudata(L, 1, LSL_PATTERN);
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "starling.pattern (%s)", lua_tostring(L, -1));
  return 1;
}

/* core.event_has_field(type | "*", path) -> boolean */
static int core_event_has_field(lua_State *L) {
  const char *t = luaL_checkstring(L, 1);
  int type = strcmp(t, "*") == 0 ? -1 : sl_event_type(t);
  lua_pushboolean(L, (type >= 0 || strcmp(t, "*") == 0) &&
                         sl_event_has_field(type, luaL_checkstring(L, 2)));
  return 1;
}

static void push_names(lua_State *L, const char *const *names, int n) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

void lsl_pred_open(lua_State *L, int core) {
  static const luaL_Reg pmeta[] = {{"__gc", pred_gc},
                                   {"__close", pred_gc},
                                   {"__tostring", pred_tostring},
                                   {NULL, NULL}};
  luaL_newmetatable(L, LSL_PRED);
  luaL_setfuncs(L, pmeta, 0);
  lua_pop(L, 1);
  static const luaL_Reg tmeta[] = {{"__gc", pattern_gc},
                                   {"__close", pattern_gc},
                                   {"__tostring", pattern_tostring},
                                   {NULL, NULL}};
  luaL_newmetatable(L, LSL_PATTERN);
  luaL_setfuncs(L, tmeta, 0);
  lua_pop(L, 1);
  core = lua_absindex(L, core);
  lua_pushcfunction(L, core_predicate);
  lua_setfield(L, core, "predicate");
  lua_pushcfunction(L, core_event_pattern);
  lua_setfield(L, core, "event_pattern");
  lua_pushcfunction(L, core_event_has_field);
  lua_setfield(L, core, "event_has_field");
  lua_createtable(L, SL_EV_COUNT, 0);
  for (int i = 0; i < SL_EV_COUNT; i++) {
    lua_pushstring(L, sl_event_names[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, core, "event_types");
  /* {path = "number" | "string"}: what a condition may compare */
  lua_newtable(L);
  const char *path;
  int is_str;
  for (int i = 0; (path = sl_event_field(i, &is_str)) != NULL; i++) {
    lua_pushstring(L, is_str ? "string" : "number");
    lua_setfield(L, -2, path);
  }
  lua_setfield(L, core, "event_fields");
  lua_newtable(L);
  for (uint32_t i = 0; i < sl_sample_schema.nfields; i++) {
    lua_pushstring(L, sl_sample_schema.fields[i].type == SL_F_CAT ? "string"
                                                                   : "number");
    lua_setfield(L, -2, sl_sample_schema.fields[i].path);
  }
  lua_setfield(L, core, "sample_fields");
  /* the names a string field may hold, in rank order */
  lua_newtable(L);
  push_names(L, sl_state_names, SL_DS_COUNT);
  lua_setfield(L, -2, "state");
  push_names(L, sl_threat_names, 4);
  lua_setfield(L, -2, "threat");
  push_names(L, sl_level_names, 4);
  lua_setfield(L, -2, "level");
  push_names(L, sl_event_names, SL_EV_COUNT);
  lua_setfield(L, -2, "type");
  lua_setfield(L, core, "names");
}
