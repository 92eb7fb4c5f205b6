/*
 * pred.h -- compiled filter predicates: FIELD OP VALUE [and ...].
 *
 * The Lua layer parses the filter language (with LPeg) and compiles each
 * condition here; evaluation then happens in C, for every event or stream
 * item, without calling Lua.  A condition reads a dotted path from:
 *   - a record (telemetry sample): through its schema, the field resolved
 *     once per schema and cached;
 *   - an event: through a field id resolved at compile time;
 *   - an opaque value (a Lua table): through the item's accessor ops.
 * Numbers compare as numbers.  Strings compare with == and ~=; <, <=, >, >=
 * on strings compare ranks when both sides are names on the same ranked
 * scale -- threats (low < medium < high < critical) and alert levels
 * (normal < elevated < high < critical) -- and are false otherwise.  A
 * field that is missing, or of the other kind, makes the condition false.
 * Predicates are reference counted: a stream that uses one holds it.
 */
#ifndef SL_PRED_H
#define SL_PRED_H

#include <stdint.h>

#include "item.h"

enum { SL_OP_EQ, SL_OP_NE, SL_OP_LT, SL_OP_LE, SL_OP_GT, SL_OP_GE };
enum { SL_VAL_NUM, SL_VAL_STR };

typedef struct sl_cond {
  char *path;
  int op;
  int kind; /* SL_VAL_NUM or SL_VAL_STR */
  double num;
  char *str;
  int threat_rank, level_rank; /* of str on each scale, or -1 */
  int event_field;             /* resolved for events, or -1 */
  const sl_schema *schema;     /* last record schema seen ... */
  const sl_field *field;       /* ... and its field (NULL: absent) */
} sl_cond;

typedef struct sl_pred {
  int refs;
  uint32_t n, cap;
  sl_cond *c;
} sl_pred;

sl_pred *sl_pred_new(void);
void sl_pred_retain(sl_pred *p);
void sl_pred_release(sl_pred *p);
/* Adds `path OP value` (num when str is NULL).  0, SL_EINVAL, SL_ENOMEM. */
int sl_pred_add(sl_pred *p, const char *path, int op, const char *str,
                double num);

/* Evaluates on a stream item (an sl_pred_fn: ud is the predicate). */
int sl_pred_item(void *ud, const sl_item *it);

/* The names of the ranked scales, for the filter language's errors. */
int sl_rank_of(const char *const names[4], const char *s);

#endif
