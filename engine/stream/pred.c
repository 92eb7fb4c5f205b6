/*
 * pred.c -- compiled predicates on stream items (see pred.h; events are
 * evaluated in swarm/event.c with the same conditions).
 */
#include "pred.h"

#include <stdlib.h>
#include <string.h>

#include "rt/error.h"

static const char *const threats[4] = {"low", "medium", "high", "critical"};
static const char *const levels[4] = {"normal", "elevated", "high",
                                      "critical"};

int sl_rank_of(const char *const names[4], const char *s) {
  for (int i = 0; i < 4; i++)
    if (strcmp(names[i], s) == 0)
      return i;
  return -1;
}

sl_pred *sl_pred_new(void) {
  sl_pred *p = calloc(1, sizeof(*p));
  if (p != NULL)
    p->refs = 1;
  return p;
}

void sl_pred_retain(sl_pred *p) { p->refs++; }

void sl_pred_release(sl_pred *p) {
  if (p == NULL || --p->refs > 0)
    return;
  for (uint32_t i = 0; i < p->n; i++) {
    free(p->c[i].path);
    free(p->c[i].str);
  }
  free(p->c);
  free(p);
}

int sl_pred_add(sl_pred *p, const char *path, int op, const char *str,
                double num) {
  if (op < SL_OP_EQ || op > SL_OP_GE || path == NULL)
    return SL_EINVAL;
  if (p->n == p->cap) {
    uint32_t cap = p->cap ? p->cap * 2 : 4;
    sl_cond *v = realloc(p->c, cap * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    p->c = v;
    p->cap = cap;
  }
  sl_cond *c = &p->c[p->n];
  memset(c, 0, sizeof(*c));
  c->path = strdup(path);
  c->str = str ? strdup(str) : NULL;
  if (c->path == NULL || (str && c->str == NULL)) {
    free(c->path);
    free(c->str);
    return SL_ENOMEM;
  }
  c->op = op;
  c->kind = str ? SL_VAL_STR : SL_VAL_NUM;
  c->num = num;
  c->threat_rank = str ? sl_rank_of(threats, str) : -1;
  c->level_rank = str ? sl_rank_of(levels, str) : -1;
  c->event_field = -1;
  p->n++;
  return 0;
}

static int cmp_num(int op, double a, double b) {
  switch (op) {
  case SL_OP_EQ:
    return a == b;
  case SL_OP_NE:
    return a != b;
  case SL_OP_LT:
    return a < b;
  case SL_OP_LE:
    return a <= b;
  case SL_OP_GT:
    return a > b;
  default:
    return a >= b;
  }
}

/* A string field against a string condition. */
int sl__cond_str(const sl_cond *c, const char *s) {
  if (c->op == SL_OP_EQ)
    return strcmp(s, c->str) == 0;
  if (c->op == SL_OP_NE)
    return strcmp(s, c->str) != 0;
  int r;
  if (c->threat_rank >= 0 && (r = sl_rank_of(threats, s)) >= 0)
    return cmp_num(c->op, r, c->threat_rank);
  if (c->level_rank >= 0 && (r = sl_rank_of(levels, s)) >= 0)
    return cmp_num(c->op, r, c->level_rank);
  return 0;
}

int sl__cond_num(const sl_cond *c, double x) {
  return cmp_num(c->op, x, c->num);
}

static int cond_item(sl_cond *c, const sl_item *it) {
  if (it->kind == SL_ITEM_RECORD) {
    if (it->u.rec.schema != c->schema) {
      c->schema = it->u.rec.schema;
      c->field = sl_schema_field(c->schema, c->path);
    }
    if (c->field == NULL)
      return 0;
    if (c->field->type == SL_F_CAT) {
      const char *s = sl_record_cat(it, c->field);
      return c->kind == SL_VAL_STR && s != NULL && sl__cond_str(c, s);
    }
    double x;
    return c->kind == SL_VAL_NUM && sl_record_num(it, c->field, &x) == 0 &&
           cmp_num(c->op, x, c->num);
  }
  if (c->kind == SL_VAL_NUM) {
    double x;
    return sl_item_num(it, c->path, &x) == 0 && cmp_num(c->op, x, c->num);
  }
  const char *s;
  return sl_item_str(it, c->path, &s) == 0 && sl__cond_str(c, s);
}

int sl_pred_item(void *ud, const sl_item *it) {
  sl_pred *p = ud;
  for (uint32_t i = 0; i < p->n; i++)
    if (!cond_item(&p->c[i], it))
      return 0;
  return 1;
}
