/*
 * item.c -- stream items: ownership and field access (see item.h).
 */
#include "item.h"

#include <stdlib.h>
#include <string.h>

#include "rt/error.h"

void sl_batch_free(sl_batch *b) {
  if (b == NULL)
    return;
  for (uint32_t i = 0; i < b->n; i++)
    sl_item_release(&b->items[i]);
  free(b->items);
  free(b);
}

void sl_agg_free(sl_agg *a) {
  if (a == NULL)
    return;
  for (uint32_t i = 0; i < a->ncats; i++)
    free(a->cats[i].name);
  free(a->cats);
  free(a->source);
  free(a->value);
  free(a->category);
  free(a);
}

void sl_item_release(sl_item *it) {
  switch (it->kind) {
  case SL_ITEM_VALUE:
    if (it->u.val.ops && it->u.val.ops->release)
      it->u.val.ops->release(it->u.val.ops->ctx, it->u.val.v);
    break;
  case SL_ITEM_BATCH:
    sl_batch_free(it->u.batch);
    break;
  case SL_ITEM_AGG:
    sl_agg_free(it->u.agg);
    break;
  default:
    break;
  }
  it->kind = SL_ITEM_NONE;
}

void sl_item_move(sl_item *dst, sl_item *src) {
  if (src->kind == SL_ITEM_RECORD) {
    dst->kind = SL_ITEM_RECORD;
    dst->t = src->t;
    dst->u.rec.schema = src->u.rec.schema;
    memcpy(dst->u.rec.data, src->u.rec.data, src->u.rec.schema->size);
  } else {
    *dst = *src;
  }
  src->kind = SL_ITEM_NONE;
}

static char *dupstr(const char *s) { return s ? strdup(s) : NULL; }

int sl_item_copy(sl_item *dst, const sl_item *src) {
  switch (src->kind) {
  case SL_ITEM_VALUE:
    *dst = *src;
    if (src->u.val.ops && src->u.val.ops->dup)
      dst->u.val.v = src->u.val.ops->dup(src->u.val.ops->ctx, src->u.val.v);
    return 0;
  case SL_ITEM_BATCH: {
    sl_batch *b = calloc(1, sizeof(*b));
    if (b == NULL)
      return SL_ENOMEM;
    for (uint32_t i = 0; i < src->u.batch->n; i++) {
      sl_item c;
      if (sl_item_copy(&c, &src->u.batch->items[i]) != 0 ||
          sl_batch_push(b, &c) != 0) {
        sl_batch_free(b);
        return SL_ENOMEM;
      }
    }
    dst->kind = SL_ITEM_BATCH;
    dst->t = src->t;
    dst->u.batch = b;
    return 0;
  }
  case SL_ITEM_AGG: {
    const sl_agg *s = src->u.agg;
    sl_agg *a = calloc(1, sizeof(*a));
    if (a == NULL)
      return SL_ENOMEM;
    *a = *s;
    a->cats = NULL;
    a->ncats = a->capcats = 0;
    a->source = dupstr(s->source);
    a->value = dupstr(s->value);
    a->category = dupstr(s->category);
    if (s->ncats) {
      a->cats = calloc(s->ncats, sizeof(*a->cats));
      if (a->cats == NULL) {
        sl_agg_free(a);
        return SL_ENOMEM;
      }
      a->capcats = a->ncats = s->ncats;
      for (uint32_t i = 0; i < s->ncats; i++) {
        a->cats[i].name = dupstr(s->cats[i].name);
        a->cats[i].count = s->cats[i].count;
      }
    }
    dst->kind = SL_ITEM_AGG;
    dst->t = src->t;
    dst->u.agg = a;
    return 0;
  }
  case SL_ITEM_RECORD:
    sl_item_record(dst, src->u.rec.schema, src->u.rec.data, src->t);
    return 0;
  default:
    dst->kind = SL_ITEM_NONE;
    return 0;
  }
}

void sl_item_record(sl_item *it, const sl_schema *schema, const void *data,
                    int64_t t) {
  it->kind = SL_ITEM_RECORD;
  it->t = t;
  it->u.rec.schema = schema;
  memcpy(it->u.rec.data, data, schema->size);
}

const sl_field *sl_schema_field(const sl_schema *s, const char *path) {
  for (uint32_t i = 0; i < s->nfields; i++)
    if (strcmp(s->fields[i].path, path) == 0)
      return &s->fields[i];
  return NULL;
}

int sl_record_num(const sl_item *it, const sl_field *f, double *out) {
  const unsigned char *p = it->u.rec.data + f->offset;
  switch (f->type) {
  case SL_F_NUM:
    memcpy(out, p, sizeof(double));
    return 0;
  case SL_F_INT: {
    int64_t v;
    memcpy(&v, p, sizeof(v));
    *out = (double)v;
    return 0;
  }
  default:
    return -1;
  }
}

const char *sl_record_cat(const sl_item *it, const sl_field *f) {
  if (f->type != SL_F_CAT)
    return NULL;
  uint8_t v = it->u.rec.data[f->offset];
  return v < f->ncats ? f->cats[v] : NULL;
}

int sl_item_num(const sl_item *it, const char *path, double *out) {
  if (it->kind == SL_ITEM_VALUE)
    return it->u.val.ops->get_num
               ? it->u.val.ops->get_num(it->u.val.ops->ctx, it->u.val.v, path,
                                        out)
               : -1;
  if (it->kind != SL_ITEM_RECORD)
    return -1;
  const sl_field *f = sl_schema_field(it->u.rec.schema, path);
  return f ? sl_record_num(it, f, out) : -1;
}

int sl_item_str(const sl_item *it, const char *path, const char **out) {
  if (it->kind == SL_ITEM_VALUE)
    return it->u.val.ops->get_str
               ? it->u.val.ops->get_str(it->u.val.ops->ctx, it->u.val.v, path,
                                        out)
               : -1;
  if (it->kind != SL_ITEM_RECORD)
    return -1;
  const sl_field *f = sl_schema_field(it->u.rec.schema, path);
  const char *name = f ? sl_record_cat(it, f) : NULL;
  if (name == NULL)
    return -1;
  *out = name;
  return 0;
}

int sl_batch_push(sl_batch *b, sl_item *it) {
  if (b->n == b->cap) {
    uint32_t cap = b->cap ? b->cap * 2 : 16;
    sl_item *v = realloc(b->items, cap * sizeof(*v));
    if (v == NULL)
      return SL_ENOMEM;
    b->items = v;
    b->cap = cap;
  }
  sl_item_move(&b->items[b->n++], it);
  return 0;
}
