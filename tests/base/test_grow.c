// SPDX-License-Identifier: MIT
/* The growth helper (grow.h): the capacity rule, zeroing, and refusing what overflows. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

struct big {
	char b[1000];
};

Test(grow, first_capacity_and_zeroing)
{
	uint64_t *a = NULL;
	size_t cap = 0;

	cr_assert_eq(GMT_GROW(&a, &cap, 1), 0);
	cr_assert_not_null(a);
	cr_assert_eq(cap, GMT_GROW_MIN);
	for (size_t i = 0; i < cap; i++)
		cr_assert_eq(a[i], 0, "element %zu zeroed", i);
	free(a);

	a = NULL;
	cap = 0;
	cr_assert_eq(GMT_GROW(&a, &cap, 1000), 0);
	cr_assert_eq(cap, 1000, "a larger first need is taken as it is");
	free(a);
}

Test(grow, doubles_keeps_contents_and_zeroes_the_rest)
{
	uint32_t *a = NULL;
	size_t cap = 0, n = 0, grows = 0, last = 0;

	for (n = 0; n < 100000; n++) {
		cr_assert_eq(GMT_GROW(&a, &cap, n + 1), 0);
		cr_assert_geq(cap, n + 1);
		if (cap != last) {
			/* What lies past the elements written so far reads 0. */
			for (size_t i = n; i < cap; i++)
				cr_assert_eq(a[i], 0, "element %zu of %zu", i, cap);
			cr_assert(last == 0 || cap == 2 * last, "doubled: %zu -> %zu", last, cap);
			grows++;
			last = cap;
		}
		a[n] = (uint32_t)n * 2654435761u;
	}
	for (n = 0; n < 100000; n++)
		cr_assert_eq(a[n], (uint32_t)n * 2654435761u, "element %zu kept", n);
	cr_assert_leq(grows, 14, "amortized: %zu reallocations for 100000 appends", grows);
	free(a);
}

Test(grow, enough_room_changes_nothing)
{
	char *a = NULL, *before;
	size_t cap = 0;

	cr_assert_eq(GMT_GROW(&a, &cap, 10), 0);
	before = a;
	cr_assert_eq(GMT_GROW(&a, &cap, cap), 0);
	cr_assert_eq(GMT_GROW(&a, &cap, 0), 0);
	cr_assert_eq(a, before);
	cr_assert_eq(cap, GMT_GROW_MIN);
	free(a);
}

/* Arrays grown with the same need from the same capacity keep the same capacity. */
Test(grow, arrays_in_step_stay_in_step)
{
	uint8_t *a = NULL;
	struct big *b = NULL;
	size_t ca = 0, cb = 0;

	for (size_t need = 1; need < 5000; need = need * 3 / 2 + 1) {
		cr_assert_eq(GMT_GROW(&a, &ca, need), 0);
		cr_assert_eq(GMT_GROW(&b, &cb, need), 0);
		cr_assert_eq(ca, cb, "need %zu", need);
	}
	free(a);
	free(b);
}

Test(grow, overflow_is_refused_and_leaves_the_array)
{
	struct big *a = NULL;
	uint64_t *w = NULL;
	size_t cap = 0, wcap = 0;

	cr_assert_eq(GMT_GROW(&a, &cap, 4), 0);
	struct big *before = a;
	size_t cap_before = cap;

	/* need * elem overflows size_t, or makes an object no malloc returns: refused
	 * before any allocation. */
	cr_assert_eq(GMT_GROW(&a, &cap, SIZE_MAX / sizeof(struct big) + 1), -ENOMEM);
	cr_assert_eq(GMT_GROW(&a, &cap, PTRDIFF_MAX / sizeof(struct big) + 1), -ENOMEM);
	cr_assert_eq(GMT_GROW(&a, &cap, SIZE_MAX), -ENOMEM);
	cr_assert_eq(a, before, "the array is kept");
	cr_assert_eq(cap, cap_before, "and so is its capacity");
	free(a);

	/* Doubling a capacity past half the address space overflows too. */
	wcap = SIZE_MAX / 2 + 1;
	cr_assert_eq(GMT_GROW(&w, &wcap, SIZE_MAX / 2 + 2), -ENOMEM);
	cr_assert_null(w);
	cr_assert_eq(wcap, SIZE_MAX / 2 + 1);

	/* Zero-sized elements are a caller's bug. */
	wcap = 0;
	cr_assert_eq(gmt_grow((void **)&w, &wcap, 1, 0), -EINVAL);
}
