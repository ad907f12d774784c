// SPDX-License-Identifier: MIT
#include "specials.h"

#include <errno.h>

int gmt_special_layout_for(int minor, struct gmt_special_layout *l)
{
	/*
	 * From the runtime sources (mheap.go) of each release, and the DWARF of the fixture
	 * matrix's (tests/agg/test_sampled_agg.c): special is {next *special; offset uint16; kind
	 * byte} up to go1.23 and has a uintptr offset from go1.24; go1.23 put
	 * _KindSpecialWeakHandle before _KindSpecialProfile, go1.25 _KindSpecialTinyBlock.
	 */
	if (minor < 19 || minor > 27)
		return -ENOENT;
	l->kind_off = minor < 24 ? 10 : 16;
	l->bucket_off = minor < 24 ? 16 : 24;
	l->profile_kind = minor < 23 ? 2 : minor < 25 ? 3 : 4;
	return 0;
}
