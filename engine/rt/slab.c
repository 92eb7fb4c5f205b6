/*
 * slab.c -- paged generational item table (see slab.h).
 *
 * Generations are odd while a slot is live and even while it is free, so a
 * single compare tells both "is it live" and "is it the same occupant".  An id
 * carries the generation of its occupant, which is never 0, so SL_ID_NONE can
 * never match.
 */
#include "slab.h"

#include <stdlib.h>
#include <string.h>

#define NO_FREE UINT32_MAX

void sl_slab_init(sl_slab *s, size_t item_size) {
  memset(s, 0, sizeof(*s));
  if (item_size < sizeof(sl_slot))
    item_size = sizeof(sl_slot);
  /* Keep items 8-byte aligned: they hold pointers and 64-bit ints. */
  s->item_size = (uint32_t)((item_size + 7) & ~(size_t)7);
  s->free_head = NO_FREE;
}

void sl_slab_close(sl_slab *s) {
  for (uint32_t i = 0; i < s->npages; i++)
    free(s->pages[i]);
  free(s->pages);
  memset(s, 0, sizeof(*s));
  s->free_head = NO_FREE;
}

static int grow(sl_slab *s) {
  char **pages = realloc(s->pages, (s->npages + 1) * sizeof(*pages));
  if (pages == NULL)
    return -1;
  s->pages = pages;
  /* calloc: a fresh slot has generation 0 (free, never used). */
  char *page = calloc(SL_SLAB_PAGE, s->item_size);
  if (page == NULL)
    return -1;
  s->pages[s->npages++] = page;
  return 0;
}

void *sl_slab_alloc(sl_slab *s, sl_id *id) {
  uint32_t index;
  sl_slot *slot;
  if (s->free_head != NO_FREE) {
    index = s->free_head;
    slot = sl_slab_at(s, index);
    s->free_head = slot->link;
  } else {
    if (s->used == UINT32_MAX)
      return NULL;
    if ((s->used >> SL_SLAB_PAGE_SHIFT) >= s->npages && grow(s) != 0)
      return NULL;
    index = s->used++;
    slot = sl_slab_at(s, index);
  }
  uint32_t gen = slot->gen + 1; /* even -> odd: live */
  memset(slot, 0, s->item_size);
  slot->gen = gen;
  slot->link = index;
  s->live++;
  *id = sl_id_make(index, gen);
  return slot;
}

void *sl_slab_get(const sl_slab *s, sl_id id) {
  uint32_t index = sl_id_index(id);
  if (index >= s->used)
    return NULL;
  sl_slot *slot = sl_slab_at(s, index);
  if (slot->gen != sl_id_gen(id) || !(slot->gen & 1u))
    return NULL;
  return slot;
}

void sl_slab_free(sl_slab *s, void *item) {
  sl_slot *slot = item;
  uint32_t index = slot->link;
  slot->gen++; /* odd -> even: free; every id naming it is stale now */
  s->live--;
  if (slot->gen == UINT32_MAX - 1) /* generations exhausted: retire the slot */
    return;
  slot->link = s->free_head;
  s->free_head = index;
}
