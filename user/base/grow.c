// SPDX-License-Identifier: MIT
#include "grow.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int gmt_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = GMT_GROW_MIN;
	void *p;

	if (need <= *cap)
		return 0;
	if (!elem)
		return -EINVAL;
	if (*cap > SIZE_MAX / 2)
		return -ENOMEM;
	if (ncap < 2 * *cap)
		ncap = 2 * *cap;
	if (ncap < need)
		ncap = need;
	/* No object may be larger than PTRDIFF_MAX (glibc's malloc refuses them too). */
	if (ncap > PTRDIFF_MAX / elem)
		return -ENOMEM;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}
