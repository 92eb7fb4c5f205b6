/*
 * t.h -- the smallest test harness that does the job.
 *
 * Each test file is one executable.  TEST(name) registers a case (CMake reads
 * the same TEST(...) lines to make one ctest per case); CHECK* record a
 * failure with file:line and the values, and let the case go on so one run
 * shows every broken expectation.  `test_x` runs every case, `test_x name`
 * runs one.  Exit status 0 only when every case run passed.
 */
#ifndef SL_TEST_T_H
#define SL_TEST_T_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct t_case {
  const char *name;
  void (*fn)(void);
} t_case;

static t_case t_cases[256];
static int t_ncases;
static int t_failures;

static inline void t_register(const char *name, void (*fn)(void)) {
  if (t_ncases < 256)
    t_cases[t_ncases++] = (t_case){name, fn};
}

#define TEST(name)                                                             \
  static void test_##name(void);                                               \
  __attribute__((constructor)) static void t_reg_##name(void) {               \
    t_register(#name, test_##name);                                            \
  }                                                                            \
  static void test_##name(void)

#define T_FAIL(...)                                                            \
  do {                                                                         \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
    fprintf(stderr, __VA_ARGS__);                                              \
    fputc('\n', stderr);                                                       \
    t_failures++;                                                              \
  } while (0)

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      T_FAIL("CHECK(%s) failed", #cond);                                       \
  } while (0)

#define CHECK_INT(a, b)                                                        \
  do {                                                                         \
    long long t_a = (long long)(a), t_b = (long long)(b);                      \
    if (t_a != t_b)                                                            \
      T_FAIL("%s == %s: %lld != %lld", #a, #b, t_a, t_b);                      \
  } while (0)

#define CHECK_DBL(a, b, eps)                                                   \
  do {                                                                         \
    double t_a = (a), t_b = (b);                                               \
    if (fabs(t_a - t_b) > (eps))                                               \
      T_FAIL("%s == %s: %.9g != %.9g", #a, #b, t_a, t_b);                      \
  } while (0)

#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    const char *t_a = (a), *t_b = (b);                                         \
    if (t_a == NULL || t_b == NULL || strcmp(t_a, t_b) != 0)                   \
      T_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, t_a ? t_a : "(null)",       \
             t_b ? t_b : "(null)");                                            \
  } while (0)

/* Stops the case when a precondition fails (later checks would crash). */
#define REQUIRE(cond)                                                          \
  do {                                                                         \
    if (!(cond)) {                                                             \
      T_FAIL("REQUIRE(%s) failed", #cond);                                     \
      return;                                                                  \
    }                                                                          \
  } while (0)

int main(int argc, char **argv) {
  int ran = 0, failed = 0;
  for (int i = 0; i < t_ncases; i++) {
    if (argc > 1 && strcmp(argv[1], t_cases[i].name) != 0)
      continue;
    int before = t_failures;
    t_cases[i].fn();
    ran++;
    if (t_failures != before) {
      failed++;
      printf("FAIL %s\n", t_cases[i].name);
    } else {
      printf("ok   %s\n", t_cases[i].name);
    }
  }
  if (ran == 0) {
    fprintf(stderr, "no test case named '%s'\n", argc > 1 ? argv[1] : "");
    return 2;
  }
  return failed ? 1 : 0;
}

#endif
