/* Tests for the log line format and level configuration (engine/rt/log.c). */
#include <stdlib.h>
#include <string.h>

#include "rt/engine.h"
#include "rt/log.h"
#include "t.h"

/* Everything written while fn runs, through a memory stream. */
static char *capture(void (*fn)(sl_engine *), sl_engine *e) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  sl_log_set_output(f);
  fn(e);
  sl_log_set_output(NULL);
  fclose(f);
  return buf;
}

static void write_three(sl_engine *e) {
  sl_log_write(e, SL_LOG_INFO, "coordinator", "drone=3 mission=ab12",
               "mission assigned");
  sl_log_write(e, SL_LOG_DEBUG, "coordinator", NULL, "health check");
  sl_log_write(e, SL_LOG_DEBUG, "swarm", NULL, "tick");
}

TEST(levels_parse_by_name) {
  CHECK_INT(sl_log_level_of("error", 5), SL_LOG_ERROR);
  CHECK_INT(sl_log_level_of("trace", 5), SL_LOG_TRACE);
  CHECK_INT(sl_log_level_of("infox", 5), -1);
  CHECK_INT(sl_log_level_of("info,x", 4), SL_LOG_INFO);
  CHECK_STR(sl_log_level_name(SL_LOG_WARN), "warn");
}

TEST(default_and_per_module_levels) {
  char err[160];
  sl_log_reset();
  CHECK(sl_log_enabled("swarm", SL_LOG_INFO));
  CHECK(!sl_log_enabled("swarm", SL_LOG_DEBUG));
  CHECK_INT(sl_log_configure("warn,coordinator=debug,lua=error", err,
                             sizeof err),
            0);
  CHECK(!sl_log_enabled("swarm", SL_LOG_INFO));
  CHECK(sl_log_enabled("swarm", SL_LOG_WARN));
  CHECK(sl_log_enabled("coordinator", SL_LOG_DEBUG));
  CHECK(!sl_log_enabled("coordinator", SL_LOG_TRACE));
  CHECK(!sl_log_enabled("lua", SL_LOG_WARN));
  CHECK_INT(sl_log_configure("coordinator=trace", err, sizeof err), 0);
  CHECK(sl_log_enabled("swarm", SL_LOG_INFO)); /* a new one: default info */
  CHECK(sl_log_enabled("lua", SL_LOG_INFO));
  CHECK(sl_log_enabled("coordinator", SL_LOG_TRACE));
  sl_log_reset();
}

TEST(bad_configurations_change_nothing_and_say_why) {
  char err[160];
  sl_log_reset();
  CHECK_INT(sl_log_configure("debug", err, sizeof err), 0);
  CHECK_INT(sl_log_configure("loud", err, sizeof err), -1);
  CHECK_STR(err,
            "unknown log level 'loud' (levels: error warn info debug trace)");
  CHECK_INT(sl_log_configure("info,coordinator=chatty", err, sizeof err), -1);
  CHECK_STR(err, "unknown log level 'chatty' for module 'coordinator' "
                 "(levels: error warn info debug trace)");
  CHECK_INT(sl_log_configure("info,=debug", err, sizeof err), -1);
  CHECK_STR(err, "bad module name '' in '=debug'");
  CHECK_INT(sl_log_configure("info,", err, sizeof err), -1);
  CHECK_STR(err, "trailing ',' in 'info,'");
  CHECK_INT(sl_log_configure("info,warn", err, sizeof err), -1);
  CHECK_STR(err, "two default levels ('warn')");
  CHECK_INT(sl_log_configure("", err, sizeof err), -1);
  CHECK(sl_log_enabled("x", SL_LOG_DEBUG)); /* still "debug" */
  sl_log_reset();
}

TEST(lines_carry_virtual_time_level_module_pairs_and_message) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_engine_run_for(&e, 12300000);
  char err[160];
  sl_log_reset();
  CHECK_INT(sl_log_configure("info,coordinator=debug", err, sizeof err), 0);
  char *out = capture(write_three, &e);
  CHECK_STR(out, "T+12.300 INFO module=coordinator drone=3 mission=ab12 "
                 "mission assigned\n"
                 "T+12.300 DEBUG module=coordinator health check\n");
  free(out);
  sl_log_reset();
  CHECK_INT(sl_engine_close(&e), 0);
}

TEST(real_clock_lines_carry_utc_wall_time) {
  sl_engine_opts o = {0};
  o.clock = SL_CLOCK_REAL;
  sl_engine e;
  sl_engine_init(&e, &o);
  char t[40];
  sl_log_time(&e, t, sizeof t);
  /* 2026-11-24T16:11:46.123Z */
  CHECK_INT(strlen(t), 24);
  CHECK(t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
        t[16] == ':' && t[19] == '.' && t[23] == 'Z');
  CHECK_INT(sl_engine_close(&e), 0);
}
