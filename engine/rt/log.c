/*
 * log.c -- the log line format and the level configuration (log.h).
 */
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

enum { MAX_MODULES = 32, MODULE_NAME = 32 };

struct module_level {
  char name[MODULE_NAME];
  int level;
};

static struct {
  int level;
  int nmods;
  struct module_level mods[MAX_MODULES];
  FILE *out;
  int env_done;
} cfg = {SL_LOG_INFO, 0, {{{0}, 0}}, NULL, 0};

static const char *const names[] = {"error", "warn", "info", "debug",
                                    "trace"};
static const char *const upper[] = {"ERROR", "WARN", "INFO", "DEBUG",
                                    "TRACE"};

int sl_log_level_of(const char *name, size_t len) {
  for (int i = 0; i <= SL_LOG_TRACE; i++)
    if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
      return i;
  return -1;
}

const char *sl_log_level_name(int level) {
  return level >= 0 && level <= SL_LOG_TRACE ? names[level] : "?";
}

void sl_log_reset(void) {
  cfg.level = SL_LOG_INFO;
  cfg.nmods = 0;
}

static int valid_module(const char *s, size_t len) {
  if (len == 0 || len >= MODULE_NAME)
    return 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

int sl_log_configure(const char *spec, char *err, size_t errlen) {
  int level = SL_LOG_INFO, nmods = 0; /* a configuration replaces the last */
  struct module_level mods[MAX_MODULES];
  int have_default = 0;
  const char *p = spec;
  if (spec == NULL || *spec == '\0') {
    snprintf(err, errlen, "empty log level (levels: error warn info debug "
                          "trace)");
    return -1;
  }
  while (*p != '\0') {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    if (eq == NULL) {
      int l = sl_log_level_of(p, len);
      if (l < 0 || have_default) {
        snprintf(err, errlen,
                 l < 0 ? "unknown log level '%.*s' (levels: error warn info "
                         "debug trace)"
                       : "two default levels ('%.*s')",
                 (int)len, p);
        return -1;
      }
      level = l;
      have_default = 1;
    } else {
      size_t mlen = (size_t)(eq - p);
      int l = sl_log_level_of(eq + 1, len - mlen - 1);
      if (!valid_module(p, mlen)) {
        snprintf(err, errlen, "bad module name '%.*s' in '%.*s'", (int)mlen,
                 p, (int)len, p);
        return -1;
      }
      if (l < 0) {
        snprintf(err, errlen,
                 "unknown log level '%.*s' for module '%.*s' (levels: error "
                 "warn info debug trace)",
                 (int)(len - mlen - 1), eq + 1, (int)mlen, p);
        return -1;
      }
      if (nmods == MAX_MODULES) {
        snprintf(err, errlen, "more than %d modules", MAX_MODULES);
        return -1;
      }
      memcpy(mods[nmods].name, p, mlen);
      mods[nmods].name[mlen] = '\0';
      mods[nmods].level = l;
      nmods++;
    }
    if (end == NULL)
      break;
    p = end + 1;
    if (*p == '\0') {
      snprintf(err, errlen, "trailing ',' in '%s'", spec);
      return -1;
    }
  }
  cfg.level = level;
  cfg.nmods = nmods;
  memcpy(cfg.mods, mods, (size_t)nmods * sizeof(*mods));
  return 0;
}

void sl_log_init_from_env(void) {
  if (cfg.env_done)
    return;
  cfg.env_done = 1;
  const char *v = getenv("STARLING_LOG");
  if (v == NULL || *v == '\0')
    return;
  char err[160];
  if (sl_log_configure(v, err, sizeof err) != 0)
    fprintf(stderr, "starling: STARLING_LOG ignored: %s\n", err);
}

int sl_log_enabled(const char *module, int level) {
  sl_log_init_from_env();
  if (module != NULL)
    for (int i = 0; i < cfg.nmods; i++)
      if (strcmp(cfg.mods[i].name, module) == 0)
        return level <= cfg.mods[i].level;
  return level <= cfg.level;
}

void sl_log_set_output(FILE *out) { cfg.out = out; }

void sl_log_time(const sl_engine *e, char *buf, size_t len) {
  if (e == NULL || e->clock == SL_CLOCK_VIRTUAL) {
    int64_t us = e ? e->now : 0;
    snprintf(buf, len, "T+%lld.%03lld", (long long)(us / 1000000),
             (long long)(us % 1000000 / 1000));
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

void sl_log_write(const sl_engine *e, int level, const char *module,
                  const char *kv, const char *msg) {
  if (!sl_log_enabled(module, level))
    return;
  char t[40];
  sl_log_time(e, t, sizeof t);
  fprintf(cfg.out ? cfg.out : stderr, "%s %s module=%s%s%s %s\n", t,
          upper[level < 0 ? 0 : level > SL_LOG_TRACE ? SL_LOG_TRACE : level],
          module ? module : "starling", kv && *kv ? " " : "", kv ? kv : "",
          msg ? msg : "");
}
