/* Tests for the generational item table (engine/rt/slab.c). */
#include "rt/slab.h"
#include "t.h"

typedef struct item {
  sl_slot slot;
  int value;
} item;

TEST(alloc_get_free) {
  sl_slab s;
  sl_slab_init(&s, sizeof(item));
  sl_id a, b;
  item *ia = sl_slab_alloc(&s, &a);
  item *ib = sl_slab_alloc(&s, &b);
  REQUIRE(ia && ib);
  CHECK(a != b);
  CHECK(a != SL_ID_NONE);
  ia->value = 7;
  CHECK(sl_slab_get(&s, a) == ia);
  CHECK(sl_slab_get(&s, b) == ib);
  CHECK(sl_slab_id(ia) == a);
  CHECK_INT(s.live, 2);
  sl_slab_free(&s, ia);
  CHECK(sl_slab_get(&s, a) == NULL);
  CHECK_INT(s.live, 1);
  sl_slab_close(&s);
}

TEST(stale_id_never_reaches_new_occupant) {
  sl_slab s;
  sl_slab_init(&s, sizeof(item));
  sl_id old;
  item *it = sl_slab_alloc(&s, &old);
  sl_slab_free(&s, it);
  sl_id fresh;
  item *again = sl_slab_alloc(&s, &fresh);
  CHECK(again == it); /* the slot is reused ... */
  CHECK_INT(sl_id_index(fresh), sl_id_index(old));
  CHECK(fresh != old); /* ... under a new generation */
  CHECK(sl_slab_get(&s, old) == NULL);
  CHECK(sl_slab_get(&s, fresh) == again);
  CHECK(again->value == 0); /* zeroed for the new occupant */
  sl_slab_close(&s);
}

TEST(none_and_out_of_range) {
  sl_slab s;
  sl_slab_init(&s, sizeof(item));
  CHECK(sl_slab_get(&s, SL_ID_NONE) == NULL);
  CHECK(sl_slab_get(&s, sl_id_make(5, 1)) == NULL);
  sl_id id;
  sl_slab_alloc(&s, &id);
  CHECK(sl_slab_get(&s, sl_id_make(sl_id_index(id), 3)) == NULL);
  sl_slab_close(&s);
}

TEST(many_pages_keep_addresses) {
  sl_slab s;
  sl_slab_init(&s, sizeof(item));
  enum { N = 5000 };
  static sl_id ids[N];
  static item *ptrs[N];
  for (int i = 0; i < N; i++) {
    ptrs[i] = sl_slab_alloc(&s, &ids[i]);
    REQUIRE(ptrs[i] != NULL);
    ptrs[i]->value = i;
  }
  int bad = 0;
  for (int i = 0; i < N; i++) {
    item *it = sl_slab_get(&s, ids[i]);
    if (it != ptrs[i] || it->value != i)
      bad++;
  }
  CHECK_INT(bad, 0);
  CHECK_INT(s.npages, (N + SL_SLAB_PAGE - 1) / SL_SLAB_PAGE);
  sl_slab_close(&s);
}
