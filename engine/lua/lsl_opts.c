/*
 * lsl_opts.c -- checking option tables.
 *
 * API.md: "a typo in a mission script must never be silently ignored".  Every
 * function that takes an options table checks its keys against the allowed
 * list first, and each typed getter names the function, the option, what it
 * wanted and what it got.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lsl.h"

const char *lsl_show(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER: {
    if (lua_isinteger(L, idx))
      return lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, idx));
    double v = lua_tonumber(L, idx);
    char buf[64];
    if (isnan(v)) /* printf says -nan for 0/0 on some machines */
      snprintf(buf, sizeof buf, "nan");
    else
      snprintf(buf, sizeof buf, "%.14g", v); /* Lua's format, no ".0" */
    return lua_pushstring(L, buf);
  }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (n <= 60)
      return lua_pushfstring(L, "'%s'", s);
    lua_pushlstring(L, s, 60); /* a long string: its first 60 bytes */
    lua_pushfstring(L, "'%s...' (%I bytes)", lua_tostring(L, -1),
                    (LUAI_UACINT)n);
    lua_remove(L, -2);
    return lua_tostring(L, -1);
  }
  default:
    return lua_pushstring(L, luaL_typename(L, idx));
  }
}

void lsl_check_options(lua_State *L, int idx, const char *fname,
                       const char *const allowed[]) {
  idx = lua_absindex(L, idx);
  if (lua_isnoneornil(L, idx))
    return;
  if (!lua_istable(L, idx))
    luaL_error(L, "%s: options must be a table (got %s)", fname,
               luaL_typename(L, idx));
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s: option names must be strings (got %s)", fname,
                 luaL_typename(L, -1));
    const char *key = lua_tostring(L, -1);
    int known = 0;
    for (int i = 0; allowed[i] != NULL && !known; i++)
      known = strcmp(allowed[i], key) == 0;
    if (!known)
      luaL_error(L, "%s: unknown option '%s'", fname, key);
  }
}

static int getfield(lua_State *L, int idx, const char *key) {
  if (lua_isnoneornil(L, idx)) {
    lua_pushnil(L);
    return LUA_TNIL;
  }
  return lua_getfield(L, idx, key);
}

lua_Number lsl_opt_number(lua_State *L, int idx, const char *fname,
                          const char *key, lua_Number def) {
  idx = lua_absindex(L, idx);
  int t = getfield(L, idx, key);
  lua_Number v = def;
  if (t == LUA_TNUMBER)
    v = lua_tonumber(L, -1);
  else if (t != LUA_TNIL)
    luaL_error(L, "%s: option '%s' must be a number (got %s)", fname, key,
               luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

lua_Integer lsl_opt_integer(lua_State *L, int idx, const char *fname,
                            const char *key, lua_Integer def) {
  idx = lua_absindex(L, idx);
  int t = getfield(L, idx, key);
  lua_Integer v = def;
  if (t == LUA_TNUMBER) {
    int isint;
    v = lua_tointegerx(L, -1, &isint);
    if (!isint)
      luaL_error(L, "%s: option '%s' must be an integer (got %s)", fname, key,
                 lsl_show(L, -1));
  } else if (t != LUA_TNIL) {
    luaL_error(L, "%s: option '%s' must be an integer (got %s)", fname, key,
               luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

int lsl_opt_choice(lua_State *L, int idx, const char *fname, const char *key,
                   const char *def, const char *const choices[]) {
  idx = lua_absindex(L, idx);
  int t = getfield(L, idx, key);
  const char *s = def;
  if (t == LUA_TSTRING)
    s = lua_tostring(L, -1);
  else if (t != LUA_TNIL)
    luaL_error(L, "%s: option '%s' must be a string (got %s)", fname, key,
               luaL_typename(L, -1));
  for (int i = 0; choices[i] != NULL; i++)
    if (strcmp(choices[i], s) == 0) {
      lua_pop(L, 1);
      return i;
    }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; choices[i] != NULL; i++) {
    luaL_addstring(&b, i ? ", '" : "'");
    luaL_addstring(&b, choices[i]);
    luaL_addchar(&b, '\'');
  }
  luaL_pushresult(&b);
  return luaL_error(L, "%s: option '%s' must be one of %s (got '%s')", fname,
                    key, lua_tostring(L, -1), s);
}

int lsl_opt_function(lua_State *L, int idx, const char *fname,
                     const char *key) {
  idx = lua_absindex(L, idx);
  int t = getfield(L, idx, key);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (t != LUA_TFUNCTION)
    luaL_error(L, "%s: option '%s' must be a function (got %s)", fname, key,
               luaL_typename(L, -1));
  return 1;
}

int lsl_opt_boolean(lua_State *L, int idx, const char *fname, const char *key,
                    int def) {
  idx = lua_absindex(L, idx);
  int t = getfield(L, idx, key);
  int v = def;
  if (t == LUA_TBOOLEAN)
    v = lua_toboolean(L, -1);
  else if (t != LUA_TNIL)
    luaL_error(L, "%s: option '%s' must be a boolean (got %s)", fname, key,
               luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

int64_t lsl_opt_seconds(lua_State *L, int idx, const char *fname,
                        const char *key, int64_t def_us, int positive) {
  idx = lua_absindex(L, idx);
  int t = getfield(L, idx, key);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def_us;
  }
  const char *rule = positive ? "in (0, 1e12]" : ">= 0";
  if (t != LUA_TNUMBER)
    luaL_error(L, "%s: option '%s' must be a number of seconds %s (got %s)",
               fname, key, rule, luaL_typename(L, -1));
  lua_Number v = lua_tonumber(L, -1);
  if (!positive && !(v >= 0))
    luaL_error(L, "%s: option '%s' must be a number of seconds >= 0 (got %s)",
               fname, key, lsl_show(L, -1));
  if (!(v >= 0 && v <= LSL_SECONDS_MAX) || (positive && v == 0))
    luaL_error(L, "%s: option '%s' must be a number of seconds %s (got %s)",
               fname, key, positive ? "in (0, 1e12]" : "in [0, 1e12]",
               lsl_show(L, -1));
  int64_t us = llround(v * 1e6);
  if (positive && us == 0)
    luaL_error(L,
               "%s: option '%s' must be a number of seconds in (0, 1e12] "
               "(got %s, below the clock's 1 µs resolution)",
               fname, key, lsl_show(L, -1));
  lua_pop(L, 1);
  return us;
}
