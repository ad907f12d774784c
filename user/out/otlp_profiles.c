// SPDX-License-Identifier: MIT
/*
 * OTLP profiles encoding: see otlp_profiles.h.
 *
 * The dictionary's tables grow while the samples are written (a Location, a Function,
 * a Stack on first use), so each table is encoded into its own buffer, the Profiles into
 * another, and the request is assembled at the end: the ResourceProfiles, then the
 * dictionary.  Every table starts with its zero entry, written as an empty message, as
 * the profiles spec requires (index 0 means "none").
 */
#include "otlp_profiles.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hmap.h"
#include "profile_set.h"

/* Field numbers: opentelemetry-proto collector/profiles/v1development, profiles/v1development. */
enum {
	REQ_RESOURCE_PROFILES = 1, REQ_DICTIONARY = 2,
	RP_RESOURCE = 1, RP_SCOPE_PROFILES = 2,
	RES_ATTRIBUTES = 1,
	SP_SCOPE = 1, SP_PROFILES = 2,
	SCOPE_NAME = 1, SCOPE_VERSION = 2,
	PROF_SAMPLE_TYPE = 1, PROF_SAMPLES = 2, PROF_TIME = 3, PROF_DURATION = 4,
	PROF_PERIOD_TYPE = 5, PROF_PERIOD = 6, PROF_ID = 7,
	VT_TYPE = 1, VT_UNIT = 2,
	SAMPLE_STACK = 1, SAMPLE_VALUES = 4,
	DICT_MAPPINGS = 1, DICT_LOCATIONS = 2, DICT_FUNCTIONS = 3, DICT_LINKS = 4,
	DICT_STRINGS = 5, DICT_ATTRIBUTES = 6, DICT_STACKS = 7,
	MAP_START = 1, MAP_LIMIT = 2, MAP_OFFSET = 3, MAP_FILENAME = 4, MAP_ATTRIBUTES = 5,
	LOC_MAPPING = 1, LOC_ADDRESS = 2, LOC_LINES = 3,
	LINE_FUNCTION = 1, LINE_LINE = 2,
	FUNC_NAME = 1, FUNC_SYSTEM_NAME = 2, FUNC_FILENAME = 3,
	STACK_LOCATIONS = 1,
	KVU_KEY = 1, KVU_VALUE = 2,
	ANY_STRING = 1,
};

#define EXE_MAPPING 1 /* Mapping 1: the traced binary (0 is the zero entry) */
#define MAX_BUILD_IDS 3

struct enc {
	const struct gmt_symbolizer *sym;
	struct gmt_pprof_mapping map;
	struct gmt_strtab *st;
	/* The dictionary's tables, encoded; their entry counts, the zero entry included. */
	struct gmt_pb *maps, *locs, *funcs, *attrs, *stacks;
	uint64_t nlocs, nfuncs, nattrs, nstacks;
	struct gmt_hmap loc_by_pc, func_by_name; /* return address, (name, file) -> index */
	uint64_t unknown_loc, truncated_loc;	 /* the synthetic Locations, 0 until needed */
	struct gmt_pb *profiles;		 /* the Profile messages */
	int err;				 /* the first failure */
};

static int64_t str(struct enc *e, const char *s)
{
	int64_t i = gmt_strtab__intern(e->st, s);

	if (i < 0) {
		if (!e->err)
			e->err = (int)i;
		return 0;
	}
	return i;
}

/* proto3: a zero field is left out, it reads back as 0. */
static void put_opt(struct gmt_pb *b, uint32_t field, uint64_t v)
{
	if (v)
		gmt_pb__u64(b, field, v);
}

/* Appends an empty message: a table's zero entry. */
static void put_empty(struct gmt_pb *b, uint32_t field)
{
	gmt_pb__close(b, gmt_pb__open(b, field));
}

/* The next index of a table: indices are int32 on the wire. */
static int next_index(uint64_t *n, uint64_t *idx)
{
	if (*n >= INT32_MAX)
		return -E2BIG;
	*idx = (*n)++;
	return 0;
}

static int function_index(struct enc *e, const char *name, const char *file, uint64_t *idx)
{
	int64_t ni = str(e, name), fi = str(e, file);
	uint64_t key, *v;
	size_t m;
	int err;

	if (e->err)
		return e->err;
	if (ni > UINT32_MAX || fi > UINT32_MAX)
		return -E2BIG;
	key = (uint64_t)ni << 32 | (uint64_t)fi;
	v = gmt_hmap_get(&e->func_by_name, key);
	if (v) {
		*idx = *v;
		return 0;
	}
	err = next_index(&e->nfuncs, idx);
	if (err)
		return err;
	m = gmt_pb__open(e->funcs, DICT_FUNCTIONS);
	put_opt(e->funcs, FUNC_NAME, ni);
	/* Go names are not mangled: the system name is the same string, as in alloc.pb.gz. */
	put_opt(e->funcs, FUNC_SYSTEM_NAME, ni);
	put_opt(e->funcs, FUNC_FILENAME, fi);
	gmt_pb__close(e->funcs, m);
	return gmt_hmap_put(&e->func_by_name, key, *idx);
}

static uint64_t mapping_of(const struct enc *e, uint64_t pc)
{
	if (e->map.memory_limit == 0)
		return EXE_MAPPING; /* the range is unknown */
	return pc >= e->map.memory_start && pc < e->map.memory_limit ? EXE_MAPPING : 0;
}

static void put_line(struct gmt_pb *b, uint64_t func, uint32_t line)
{
	size_t m = gmt_pb__open(b, LOC_LINES);

	put_opt(b, LINE_FUNCTION, func);
	put_opt(b, LINE_LINE, line);
	gmt_pb__close(b, m);
}

/* The Location of a return address, symbolized on first use. */
static int location_index(struct enc *e, uint64_t pc, uint64_t *idx)
{
	struct gmt_frame fr[GMT_PPROF_MAX_INLINE];
	uint64_t fidx[GMT_PPROF_MAX_INLINE], *v = gmt_hmap_get(&e->loc_by_pc, pc);
	int n, err;
	size_t m;

	if (v) {
		*idx = *v;
		return 0;
	}
	n = gmt_pprof_lines(e->sym, pc, fr);
	for (int i = 0; i < n; i++) {
		err = function_index(e, fr[i].func, fr[i].file, &fidx[i]);
		if (err)
			return err;
	}
	err = next_index(&e->nlocs, idx);
	if (err)
		return err;
	m = gmt_pb__open(e->locs, DICT_LOCATIONS);
	put_opt(e->locs, LOC_MAPPING, mapping_of(e, pc));
	put_opt(e->locs, LOC_ADDRESS, pc);
	/* Inlined frames: one Location, its Lines innermost first, the caller last. */
	for (int i = 0; i < n; i++)
		put_line(e->locs, fidx[i], fr[i].line);
	gmt_pb__close(e->locs, m);
	return gmt_hmap_put(&e->loc_by_pc, pc, *idx);
}

/* A Location with no address for a frame gomemtrace made up, as alloc.pb.gz has it. */
static int synthetic_location(struct enc *e, const char *name, uint64_t *cached)
{
	uint64_t fidx;
	size_t m;
	int err;

	if (*cached)
		return 0;
	err = function_index(e, name, "", &fidx);
	if (!err)
		err = next_index(&e->nlocs, cached);
	if (err)
		return err;
	m = gmt_pb__open(e->locs, DICT_LOCATIONS);
	put_line(e->locs, fidx, 0);
	gmt_pb__close(e->locs, m);
	return 0;
}

/* The Stack of a row (Locations leaf first), a new entry: its index. */
static int stack_index(struct enc *e, const struct gmt_agg_stack *s,
		       const struct gmt_pprof_row *row, uint64_t *locs, uint64_t *idx)
{
	size_t n = 0, m;
	int err = 0;

	if (row->unknown)
		err = synthetic_location(e, GMT_PPROF_UNKNOWN_STACK, &e->unknown_loc);
	if (row->unknown)
		locs[n++] = e->unknown_loc;
	for (uint32_t i = row->skip; i < s->depth && !err; i++)
		err = location_index(e, s->pcs[i], &locs[n++]);
	if (!err && row->truncated) {
		err = synthetic_location(e, GMT_PPROF_TRUNCATED, &e->truncated_loc);
		locs[n++] = e->truncated_loc;
	}
	if (!err)
		err = next_index(&e->nstacks, idx);
	if (err)
		return err;
	m = gmt_pb__open(e->stacks, DICT_STACKS);
	gmt_pb__packed_u64(e->stacks, STACK_LOCATIONS, locs, n);
	gmt_pb__close(e->stacks, m);
	return 0;
}

static void put_value_type(struct enc *e, struct gmt_pb *b, uint32_t field, const char *type,
			   const char *unit)
{
	size_t m = gmt_pb__open(b, field);

	put_opt(b, VT_TYPE, str(e, type));
	put_opt(b, VT_UNIT, str(e, unit));
	gmt_pb__close(b, m);
}

/* A profile ID: 16 random bytes, never all zero (that means "no ID"). */
static void profile_id(uint8_t id[16])
{
	static uint64_t seq;

	if (getrandom(id, 16, 0) != 16) {
		uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)clock() << 20;

		memcpy(id, &t, 8);
		memset(id + 8, 0, 8);
	}
	seq++;
	id[15] ^= (uint8_t)seq; /* distinct within a run even without randomness */
	id[14] |= 1;
}

static int64_t clamp_i64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* The Profiles of one aggregator under o: one per sample type. */
static int put_source(struct enc *e, const struct gmt_agg *a, const struct gmt_pprof_opts *o,
		      const struct gmt_run_info *ri)
{
	const char *types[GMT_PPROF_MAX_TYPES][2];
	int ntypes = gmt_pprof_sample_types(o, types);
	struct gmt_pb *samples[GMT_PPROF_MAX_TYPES] = {};
	const struct gmt_agg_stack *const *st;
	size_t n = gmt_agg__stacks_by_bytes(a, &st);
	uint64_t *locs = calloc(GMT_MAX_STACK + 2, sizeof(*locs));
	int err = locs ? 0 : -ENOMEM;

	for (int t = 0; t < ntypes && !err; t++)
		if (!(samples[t] = gmt_pb__new()))
			err = -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		struct gmt_pprof_row row;
		uint64_t sidx;

		if (st[i]->depth > GMT_MAX_STACK) {
			err = -EINVAL; /* the aggregator caps depth: never happens */
			break;
		}
		err = gmt_pprof_row(st[i], e->sym, o, &row);
		if (err <= 0)
			continue;
		err = stack_index(e, st[i], &row, locs, &sidx);
		for (int t = 0; t < ntypes && !err; t++) {
			size_t m;

			if (!row.vals[t])
				continue; /* nothing of this type: no sample in its profile */
			m = gmt_pb__open(samples[t], PROF_SAMPLES);
			gmt_pb__u64(samples[t], SAMPLE_STACK, sidx);
			gmt_pb__packed_i64(samples[t], SAMPLE_VALUES, &row.vals[t], 1);
			gmt_pb__close(samples[t], m);
		}
	}
	for (int t = 0; t < ntypes && !err; t++) {
		struct gmt_pb *b = e->profiles;
		const uint8_t *data;
		uint8_t id[16];
		size_t m, len;

		err = gmt_pb__err(samples[t]);
		if (err)
			break;
		m = gmt_pb__open(b, SP_PROFILES);
		put_value_type(e, b, PROF_SAMPLE_TYPE, types[t][0], types[t][1]);
		data = gmt_pb__data(samples[t], &len);
		gmt_pb__raw(b, data, len);
		if (ri && ri->start_wall_ns)
			gmt_pb__fixed64(b, PROF_TIME, ri->start_wall_ns);
		if (ri)
			put_opt(b, PROF_DURATION, (uint64_t)gmt_pprof_duration_ns(ri));
		put_value_type(e, b, PROF_PERIOD_TYPE, "space", "bytes");
		put_opt(b, PROF_PERIOD, (uint64_t)clamp_i64(o && o->period ? o->period : 1));
		profile_id(id);
		gmt_pb__bytes(b, PROF_ID, id, sizeof(id));
		gmt_pb__close(b, m);
	}
	for (int t = 0; t < ntypes; t++)
		gmt_pb__free(samples[t]);
	free(locs);
	return err;
}

/* A string attribute of the dictionary: its index. */
static int attribute_index(struct enc *e, const char *key, const char *val, uint64_t *idx)
{
	size_t m, v;
	int err = next_index(&e->nattrs, idx);

	if (err)
		return err;
	m = gmt_pb__open(e->attrs, DICT_ATTRIBUTES);
	put_opt(e->attrs, KVU_KEY, str(e, key));
	v = gmt_pb__open(e->attrs, KVU_VALUE);
	gmt_pb__str(e->attrs, ANY_STRING, val);
	gmt_pb__close(e->attrs, v);
	gmt_pb__close(e->attrs, m);
	return 0;
}

/* Mapping 1, the executable, its build IDs as attributes. */
static int put_mapping(struct enc *e, const struct gmt_otlp_build_ids *ids)
{
	const struct {
		const char *key, *val;
	} bid[MAX_BUILD_IDS] = {
		{ "process.executable.build_id.gnu", ids->gnu },
		{ "process.executable.build_id.go", ids->go },
		{ "process.executable.build_id.htlhash", ids->htlhash },
	};
	uint64_t ai[MAX_BUILD_IDS];
	size_t na = 0, m;
	int err;

	for (int i = 0; i < MAX_BUILD_IDS; i++) {
		if (!bid[i].val || !bid[i].val[0])
			continue;
		err = attribute_index(e, bid[i].key, bid[i].val, &ai[na++]);
		if (err)
			return err;
	}
	m = gmt_pb__open(e->maps, DICT_MAPPINGS);
	put_opt(e->maps, MAP_START, e->map.memory_start);
	put_opt(e->maps, MAP_LIMIT, e->map.memory_limit);
	put_opt(e->maps, MAP_OFFSET, e->map.file_offset);
	put_opt(e->maps, MAP_FILENAME, str(e, e->map.filename));
	gmt_pb__packed_u64(e->maps, MAP_ATTRIBUTES, ai, na);
	gmt_pb__close(e->maps, m);
	return 0;
}

static void put_table(struct gmt_pb *b, const struct gmt_pb *t)
{
	size_t len;
	const uint8_t *data = gmt_pb__data(t, &len);

	gmt_pb__raw(b, data, len);
}

/* The request from the encoded parts. */
static int assemble(struct enc *e, const struct gmt_otlp_profiles *p, struct gmt_pb *b)
{
	size_t rp, res, sp, sc, dict;

	rp = gmt_pb__open(b, REQ_RESOURCE_PROFILES);
	res = gmt_pb__open(b, RP_RESOURCE);
	for (size_t i = 0; i < p->nresource; i++)
		gmt_otlp_put_attr(b, RES_ATTRIBUTES, &p->resource[i]);
	gmt_pb__close(b, res);
	sp = gmt_pb__open(b, RP_SCOPE_PROFILES);
	sc = gmt_pb__open(b, SP_SCOPE);
	if (p->scope_name)
		gmt_pb__str(b, SCOPE_NAME, p->scope_name);
	if (p->scope_version)
		gmt_pb__str(b, SCOPE_VERSION, p->scope_version);
	gmt_pb__close(b, sc);
	put_table(b, e->profiles);
	gmt_pb__close(b, sp);
	gmt_pb__close(b, rp);

	dict = gmt_pb__open(b, REQ_DICTIONARY);
	put_table(b, e->maps);
	put_table(b, e->locs);
	put_table(b, e->funcs);
	put_empty(b, DICT_LINKS); /* no links: only the zero entry */
	gmt_strtab__encode(e->st, b, DICT_STRINGS);
	put_table(b, e->attrs);
	put_table(b, e->stacks);
	gmt_pb__close(b, dict);
	return gmt_pb__err(b);
}

int gmt_otlp_profiles_encode(const struct gmt_otlp_profiles *p, struct gmt_pb *b)
{
	struct gmt_pprof_opts inuse_o = {};
	struct enc e = { .sym = p ? p->sym : NULL, .nlocs = 1, .nfuncs = 1, .nattrs = 1,
			 .nstacks = 1 };
	int err;

	if (!p || !p->agg || !b || (p->nresource && !p->resource) ||
	    (p->o && p->o->inuse && !p->o->inuse_only && !p->o->inuse_fn))
		return -EINVAL;
	if (p->o)
		e.map = p->o->mapping;
	if (!e.map.filename)
		e.map.filename = p->ri && p->ri->binary ? p->ri->binary : "";
	e.st = gmt_strtab__new();
	e.maps = gmt_pb__new();
	e.locs = gmt_pb__new();
	e.funcs = gmt_pb__new();
	e.attrs = gmt_pb__new();
	e.stacks = gmt_pb__new();
	e.profiles = gmt_pb__new();
	if (!e.st || !e.maps || !e.locs || !e.funcs || !e.attrs || !e.stacks || !e.profiles) {
		err = -ENOMEM;
		goto out;
	}
	put_empty(e.maps, DICT_MAPPINGS);
	put_empty(e.locs, DICT_LOCATIONS);
	put_empty(e.funcs, DICT_FUNCTIONS);
	put_empty(e.attrs, DICT_ATTRIBUTES);
	put_empty(e.stacks, DICT_STACKS);
	err = put_mapping(&e, &p->ids);
	if (!err)
		err = put_source(&e, p->agg, p->o, p->ri);
	if (!err && p->inuse_agg && !(p->o && p->o->inuse)) {
		if (p->o)
			inuse_o = *p->o;
		inuse_o.inuse_only = true;
		err = put_source(&e, p->inuse_agg, &inuse_o, p->ri);
	}
	if (!err)
		err = e.err;
	for (struct gmt_pb **t = (struct gmt_pb *[]){ e.maps, e.locs, e.funcs, e.attrs,
						       e.stacks, e.profiles, NULL };
	     *t && !err; t++)
		err = gmt_pb__err(*t);
	if (!err)
		err = assemble(&e, p, b);
out:
	gmt_pb__free(e.profiles);
	gmt_pb__free(e.stacks);
	gmt_pb__free(e.attrs);
	gmt_pb__free(e.funcs);
	gmt_pb__free(e.locs);
	gmt_pb__free(e.maps);
	gmt_strtab__free(e.st);
	gmt_hmap_free(&e.func_by_name);
	gmt_hmap_free(&e.loc_by_pc);
	return err;
}

void gmt_otlp_profiles_of_set(const struct gmt_profile_set *ps, struct gmt_otlp_profiles *p)
{
	*p = (struct gmt_otlp_profiles){ .agg = ps->agg,
					 .inuse_agg = ps->inuse_pprof ? ps->inuse_agg : NULL,
					 .sym = ps->sym, .ri = ps->ri, .o = &ps->pprof };
}
