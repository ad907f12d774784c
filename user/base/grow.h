/* SPDX-License-Identifier: MIT */
/*
 * The growth helper: every array that grows as records arrive (stacks, rows, GC cycles,
 * hooks, output buffers) grows through it, so the capacity rule and the overflow checks
 * are written once.
 */
#ifndef GMT_GROW_H
#define GMT_GROW_H

#include <stddef.h>

#define GMT_GROW_MIN 16 /* elements: the first capacity, unless more are needed */

/*
 * Makes *arr, an array of *cap elements of elem bytes, hold at least need of them.  The
 * new capacity is the largest of need, twice the old one and GMT_GROW_MIN, so appending
 * one element at a time costs amortized O(1), and arrays kept in step (grown with the
 * same need from the same capacity) keep the same capacity whatever their element size.
 * The elements past the old capacity are zeroed.  0 when need <= *cap (nothing done):
 * call it before every append.  -ENOMEM when the memory is not there or the size would
 * overflow or pass PTRDIFF_MAX; *arr and *cap are then unchanged.
 */
int gmt_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* gmt_grow for a typed array: GMT_GROW(&a->rows, &a->cap_rows, a->nrows + 1). */
#define GMT_GROW(arrp, capp, need) gmt_grow((void **)(arrp), (capp), (need), sizeof(**(arrp)))

#endif
