/*
 * log.h -- log lines as API.md section 11 writes them.
 *
 *   T+12.300 INFO module=coordinator drone=3 mission assigned
 *   2026-11-24T16:11:46.123Z WARN module=swarm ...
 *
 * TIME is the engine's virtual time as T+seconds with milliseconds, or UTC
 * wall time on the real clock; then the level, key=value pairs, and the
 * message.  Levels: error warn info debug trace.  A configuration such as
 * "info,coordinator=debug" sets a default level and per-module levels; it
 * comes from STARLING_LOG or --log.  The configuration is the process's
 * (like the environment it comes from); writing a line is safe from any
 * thread (one fprintf per line).
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stddef.h>
#include <stdio.h>

typedef enum sl_log_level {
  SL_LOG_ERROR = 0,
  SL_LOG_WARN,
  SL_LOG_INFO,
  SL_LOG_DEBUG,
  SL_LOG_TRACE,
} sl_log_level;

struct sl_engine;

/* "error" .. "trace" -> level, or -1. */
int sl_log_level_of(const char *name, size_t len);
const char *sl_log_level_name(int level);

/* Parses and applies a configuration ("LEVEL" or "LEVEL,module=LEVEL,..."
 * or only "module=LEVEL" items, the default level then being info); it
 * replaces the previous one.  On error nothing changes, `err` says what is
 * wrong and the result is -1. */
int sl_log_configure(const char *spec, char *err, size_t errlen);
/* The configuration from STARLING_LOG, once (a bad value is reported on
 * stderr and ignored).  Called by the writers; callable earlier. */
void sl_log_init_from_env(void);
/* Back to the default (info) with no modules. */
void sl_log_reset(void);

/* Whether a line of `level` from `module` would be written. */
int sl_log_enabled(const char *module, int level);

/* Where lines go (stderr by default); for tests. */
void sl_log_set_output(FILE *out);

/* Formats TIME into buf: "T+12.300" (virtual) or UTC ISO 8601 (real). */
void sl_log_time(const struct sl_engine *e, char *buf, size_t len);

/* Writes one line if enabled: TIME LEVEL module=MODULE [kv] msg.  `kv` is
 * pre-formatted "key=value key=value" text or NULL.  A message with
 * newlines (a traceback) is written as is after the first line's prefix. */
void sl_log_write(const struct sl_engine *e, int level, const char *module,
                  const char *kv, const char *msg);

#endif
