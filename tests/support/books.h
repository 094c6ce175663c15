/* tests/support/books.h — comparing a book in memory with the store it must equal. */
#ifndef VQ_TEST_BOOKS_H
#define VQ_TEST_BOOKS_H

#include <stddef.h>

#include "coordinator/store.h"

/* 0 if books a and b (of the same site) hold the same day: tickets, next id, attraction
 * states, slots (per-tier counts included); otherwise 1, with the first difference in why. */
int tu_book_diff(const vq_book *a, const vq_book *b, char *why, size_t len);

/* 0 if book equals what the store rebuilds for its day; otherwise 1 with why (a rebuild
 * that fails counts as a difference). */
int tu_book_vs_store(const vq_book *book, vq_store *st, char *why, size_t len);

#endif
