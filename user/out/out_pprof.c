// SPDX-License-Identifier: MIT
/*
 * pprof profile.proto, gzip-compressed: what `go tool pprof` reads.
 *
 * Locations and Functions are discovered while samples are written, so each kind is
 * encoded into its own buffer and the Profile is assembled at the end: header and mapping,
 * samples, locations, functions, then the string table, which is complete only then.
 * Field order does not matter to protobuf readers.  Each return address is symbolized
 * once, however many stacks hold it.
 */
#include "outputs.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf_file.h"
#include "gobin.h"
#include "pprof.h"
#include "hmap.h"

/* Field numbers of github.com/google/pprof/proto/profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3 };
enum { LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3 };
enum {
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum {
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

#define MAPPING_ONLY_ID 1 /* the one Mapping: the traced binary */

struct pp {
	const struct gmt_symbolizer *sym;
	struct gmt_pprof_mapping map; /* the one Mapping, filename resolved */
	struct gmt_strtab *st;
	struct gmt_pb *locs, *funcs; /* encoded Location and Function messages */
	struct gmt_hmap loc_by_pc, func_by_name; /* return address, (name, file) -> id */
	uint64_t nlocs, nfuncs;
	uint64_t truncated_loc, unknown_loc; /* the synthetic locations, 0 until needed */
};

/* A string's index; the first failure is kept in *err, so that callers check once. */
static int64_t str(struct pp *p, const char *s, int *err)
{
	int64_t i = gmt_strtab__intern(p->st, s);

	if (i < 0) {
		if (!*err)
			*err = (int)i;
		return 0;
	}
	return i;
}

/* Zero fields are left out, as proto3 writers do: they read back as 0 anyway. */
static void put_opt(struct gmt_pb *b, uint32_t field, uint64_t v)
{
	if (v)
		gmt_pb__u64(b, field, v);
}

/* The Function for (name, file), created on first use. */
static int function_id(struct pp *p, const char *name, const char *file, uint64_t *id)
{
	int64_t ni, fi;
	uint64_t key, *v;
	size_t m;
	int err = 0;

	ni = str(p, name, &err);
	fi = str(p, file, &err);
	if (err)
		return err;
	if (ni > UINT32_MAX || fi > UINT32_MAX)
		return -E2BIG;
	key = (uint64_t)ni << 32 | (uint64_t)fi;
	v = gmt_hmap_get(&p->func_by_name, key);
	if (v) {
		*id = *v;
		return 0;
	}
	*id = ++p->nfuncs;
	m = gmt_pb__open(p->funcs, PROFILE_FUNCTION);
	gmt_pb__u64(p->funcs, FUNCTION_ID, *id);
	put_opt(p->funcs, FUNCTION_NAME, ni);
	/* Go names are not mangled: the system name is the same string. */
	put_opt(p->funcs, FUNCTION_SYSTEM_NAME, ni);
	put_opt(p->funcs, FUNCTION_FILENAME, fi);
	/* FUNCTION_START_LINE: the symbolizer does not give it; 0 means unknown. */
	gmt_pb__close(p->funcs, m);
	return gmt_hmap_put(&p->func_by_name, key, *id);
}

static uint64_t mapping_of(const struct pp *p, uint64_t pc)
{
	if (p->map.memory_limit == 0)
		return MAPPING_ONLY_ID; /* the range is unknown */
	return pc >= p->map.memory_start && pc < p->map.memory_limit ? MAPPING_ONLY_ID : 0;
}

static void put_line(struct gmt_pb *b, uint64_t func_id, uint32_t line)
{
	size_t m = gmt_pb__open(b, LOCATION_LINE);

	gmt_pb__u64(b, LINE_FUNCTION_ID, func_id);
	put_opt(b, LINE_LINE, line);
	gmt_pb__close(b, m);
}

int gmt_pprof_lines(const struct gmt_symbolizer *sym, uint64_t pc, struct gmt_frame *fr)
{
	int n = gmt_symbolize_pc(sym, pc, fr, GMT_PPROF_MAX_INLINE), k = 0;

	for (int i = 0; i < n; i++) {
		if (!fr[i].func || !fr[i].func[0])
			continue; /* a nameless frame says nothing: leave its Line out */
		fr[k] = fr[i];
		if (!fr[k].file || !strcmp(fr[k].file, "?"))
			fr[k].file = ""; /* pprof's "unknown" */
		k++;
	}
	return k;
}

/* The Location of a return address, created (and symbolized) on first use. */
static int location_id(struct pp *p, uint64_t pc, uint64_t *id)
{
	struct gmt_frame fr[GMT_PPROF_MAX_INLINE];
	uint64_t fids[GMT_PPROF_MAX_INLINE], *v = gmt_hmap_get(&p->loc_by_pc, pc);
	int n, err;
	size_t m;

	if (v) {
		*id = *v;
		return 0;
	}
	n = gmt_pprof_lines(p->sym, pc, fr);
	for (int i = 0; i < n; i++) {
		err = function_id(p, fr[i].func, fr[i].file, &fids[i]);
		if (err)
			return err;
	}
	*id = ++p->nlocs;
	m = gmt_pb__open(p->locs, PROFILE_LOCATION);
	gmt_pb__u64(p->locs, LOCATION_ID, *id);
	put_opt(p->locs, LOCATION_MAPPING_ID, mapping_of(p, pc));
	put_opt(p->locs, LOCATION_ADDRESS, pc);
	/* Innermost first, the physical function last: pprof's order for inlined frames. */
	for (int i = 0; i < n; i++)
		put_line(p->locs, fids[i], fr[i].line);
	gmt_pb__close(p->locs, m);
	return gmt_hmap_put(&p->loc_by_pc, pc, *id);
}

/* A Location with no address for a frame gomemtrace made up, created on first use. */
static int synthetic_location(struct pp *p, const char *name, uint64_t *cached)
{
	uint64_t fid;
	size_t m;
	int err;

	if (*cached)
		return 0;
	err = function_id(p, name, "", &fid);
	if (err)
		return err;
	*cached = ++p->nlocs;
	m = gmt_pb__open(p->locs, PROFILE_LOCATION);
	gmt_pb__u64(p->locs, LOCATION_ID, *cached);
	put_line(p->locs, fid, 0);
	gmt_pb__close(p->locs, m);
	return 0;
}

static int64_t clamp_i64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int gmt_pprof_row(const struct gmt_agg_stack *s, const struct gmt_symbolizer *sym,
		  const struct gmt_pprof_opts *o, struct gmt_pprof_row *row)
{
	bool nonzero = s->count || s->bytes;

	*row = (struct gmt_pprof_row){ .vals = { clamp_i64(s->count), clamp_i64(s->bytes) } };
	if (o && o->inuse_only) {
		/* The aggregator's counts are the live objects: the same two values. */
	} else if (o && o->inuse) {
		uint64_t objects = 0, bytes = 0;
		int err = o->inuse_fn(o->inuse_ctx, s, &objects, &bytes);

		if (err)
			return err < 0 ? err : -EINVAL;
		row->vals[2] = clamp_i64(objects);
		row->vals[3] = clamp_i64(bytes);
		nonzero = nonzero || objects || bytes;
	}
	if (!nonzero)
		return 0; /* only zero-size allocations: a row of zeros is noise in pprof */
	row->unknown = gmt_agg_stack_is_unknown(s);
	/* As runtime/pprof writes heap profiles: the allocator's leading frames go. */
	row->skip = o && o->runtime_frames ? 0 : gmt_stack_runtime_skip(s, sym);
	/* The real root is missing: say so where pprof shows roots. */
	row->truncated = s->truncated && !row->unknown;
	return 1;
}

static int write_sample(struct pp *p, struct gmt_pb *b, const struct gmt_agg_stack *s,
			const struct gmt_pprof_opts *o, size_t nvals, uint64_t *loc_ids)
{
	struct gmt_pprof_row row;
	size_t nlocs = 0, m;
	int err = gmt_pprof_row(s, p->sym, o, &row);

	if (err <= 0)
		return err;
	if (row.unknown) {
		err = synthetic_location(p, GMT_PPROF_UNKNOWN_STACK, &p->unknown_loc);
		if (err)
			return err;
		loc_ids[nlocs++] = p->unknown_loc;
	}
	for (uint32_t i = row.skip; i < s->depth; i++) {
		err = location_id(p, s->pcs[i], &loc_ids[nlocs++]);
		if (err)
			return err;
	}
	if (row.truncated) {
		err = synthetic_location(p, GMT_PPROF_TRUNCATED, &p->truncated_loc);
		if (err)
			return err;
		loc_ids[nlocs++] = p->truncated_loc;
	}
	m = gmt_pb__open(b, PROFILE_SAMPLE);
	gmt_pb__packed_u64(b, SAMPLE_LOCATION_ID, loc_ids, nlocs);
	gmt_pb__packed_i64(b, SAMPLE_VALUE, row.vals, nvals);
	gmt_pb__close(b, m);
	return 0;
}

int gmt_pprof_sample_types(const struct gmt_pprof_opts *o, const char *out[GMT_PPROF_MAX_TYPES][2])
{
	static const char *const alloc[4][2] = {
		{ "alloc_objects", "count" },
		{ "alloc_space", "bytes" },
		{ "inuse_objects", "count" },
		{ "inuse_space", "bytes" },
	};
	/* Value order as in Go's own heap profiles. */
	const char *const (*t)[2] = o && o->inuse_only ? alloc + 2 : alloc;
	int n = o && o->inuse && !o->inuse_only ? 4 : 2;

	for (int i = 0; i < n; i++) {
		out[i][0] = t[i][0];
		out[i][1] = t[i][1];
	}
	return n;
}

static void put_value_type(struct gmt_pb *b, uint32_t field, int64_t type, int64_t unit)
{
	size_t m = gmt_pb__open(b, field);

	put_opt(b, VALUETYPE_TYPE, type);
	put_opt(b, VALUETYPE_UNIT, unit);
	gmt_pb__close(b, m);
}

static void put_mapping(struct pp *p, struct gmt_pb *b, int *err)
{
	const struct gmt_pprof_mapping *mp = &p->map;
	size_t m = gmt_pb__open(b, PROFILE_MAPPING);

	gmt_pb__u64(b, MAPPING_ID, MAPPING_ONLY_ID);
	put_opt(b, MAPPING_MEMORY_START, mp->memory_start);
	put_opt(b, MAPPING_MEMORY_LIMIT, mp->memory_limit);
	put_opt(b, MAPPING_FILE_OFFSET, mp->file_offset);
	put_opt(b, MAPPING_FILENAME, str(p, mp->filename, err));
	put_opt(b, MAPPING_BUILD_ID, str(p, mp->build_id, err));
	/* Already symbolized, inlining included: pprof must not look for the binary. */
	gmt_pb__bool(b, MAPPING_HAS_FUNCTIONS, 1);
	gmt_pb__bool(b, MAPPING_HAS_FILENAMES, 1);
	gmt_pb__bool(b, MAPPING_HAS_LINE_NUMBERS, 1);
	gmt_pb__bool(b, MAPPING_HAS_INLINE_FRAMES, 1);
	gmt_pb__close(b, m);
}

/* Free-form lines `go tool pprof -comments` prints: what was traced, and how. */
static void put_comments(struct pp *p, struct gmt_pb *b, const struct gmt_run_info *ri,
			 const struct gmt_pprof_opts *o, int *err)
{
	char line[512];

	if (!ri)
		return;
	snprintf(line, sizeof(line), "gomemtrace %s mode", ri->mode ? ri->mode : "?");
	gmt_pb__i64(b, PROFILE_COMMENT, str(p, line, err));
	if (ri->binary) {
		snprintf(line, sizeof(line), "binary %s, pid %d, %s", ri->binary, ri->pid,
			 ri->go_version ? ri->go_version : "unknown Go version");
		gmt_pb__i64(b, PROFILE_COMMENT, str(p, line, err));
	}
	gmt_pb__i64(b, PROFILE_COMMENT,
		    str(p, o && o->runtime_frames
				   ? "stacks start at the allocator (--runtime-frames)"
				   : "leading runtime frames left out, as runtime/pprof does "
				     "(--runtime-frames keeps them)",
			err));
}

int64_t gmt_pprof_duration_ns(const struct gmt_run_info *ri)
{
	if (ri->end_ns > ri->start_ns && ri->start_ns)
		return clamp_i64(ri->end_ns - ri->start_ns);
	if (ri->duration_s > 0 && ri->duration_s < 9e9)
		return (int64_t)(ri->duration_s * 1e9);
	return 0;
}

/* The Profile without its string table, which the caller appends last. */
static int build(struct pp *p, struct gmt_pb *prof, const struct gmt_agg *a,
		 const struct gmt_run_info *ri, const struct gmt_pprof_opts *o)
{
	const struct gmt_agg_stack *const *st;
	size_t n = gmt_agg__stacks_by_bytes(a, &st);
	const char *types[GMT_PPROF_MAX_TYPES][2];
	uint64_t *loc_ids;
	int64_t space = 0;
	int err = 0, ntypes;

	ntypes = gmt_pprof_sample_types(o, types);
	for (int i = 0; i < ntypes; i++) {
		int64_t t = str(p, types[i][0], &err);

		if (i == 1)
			space = t; /* alloc_space, or inuse_space */
		put_value_type(prof, PROFILE_SAMPLE_TYPE, t, str(p, types[i][1], &err));
	}
	put_opt(prof, PROFILE_DEFAULT_SAMPLE_TYPE, space);
	put_value_type(prof, PROFILE_PERIOD_TYPE, str(p, "space", &err), str(p, "bytes", &err));
	gmt_pb__i64(prof, PROFILE_PERIOD, clamp_i64(o && o->period ? o->period : 1));
	if (ri) {
		put_opt(prof, PROFILE_TIME_NANOS, clamp_i64(ri->start_wall_ns));
		put_opt(prof, PROFILE_DURATION_NANOS, gmt_pprof_duration_ns(ri));
	}
	put_comments(p, prof, ri, o, &err);
	put_mapping(p, prof, &err);
	if (err)
		return err;

	/* Room for the deepest stack plus a synthetic root. */
	loc_ids = calloc(GMT_MAX_STACK + 1, sizeof(*loc_ids));
	if (!loc_ids)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		if (st[i]->depth > GMT_MAX_STACK)
			err = -EINVAL; /* the aggregator caps depth: never happens */
		else
			err = write_sample(p, prof, st[i], o, (size_t)ntypes, loc_ids);
	}
	free(loc_ids);
	return err;
}

/* What a writer adds to the profile, given the tables it shares. */
typedef int (*fill_fn)(struct pp *p, struct gmt_pb *prof, const void *arg,
		       const struct gmt_run_info *ri, const struct gmt_pprof_opts *o);

/* One profile: the shared tables set up, filled by fill, encoded, gzipped into f. */
static int write_profile(const struct gmt_symbolizer *sym, FILE *f, const struct gmt_run_info *ri,
			 const struct gmt_pprof_opts *o, fill_fn fill, const void *arg)
{
	struct pp p = { .sym = sym };
	struct gmt_pb *prof = NULL;
	const uint8_t *data;
	size_t len;
	int err;

	if (o)
		p.map = o->mapping;
	/*
	 * Always a Mapping: given none, pprof makes up an empty one, says "Main binary
	 * filename not available" and tries to symbolize.
	 */
	if (!p.map.filename)
		p.map.filename = ri && ri->binary ? ri->binary : "";
	p.st = gmt_strtab__new();
	p.locs = gmt_pb__new();
	p.funcs = gmt_pb__new();
	prof = gmt_pb__new();
	if (!p.st || !p.locs || !p.funcs || !prof) {
		err = -ENOMEM;
		goto out;
	}
	err = fill(&p, prof, arg, ri, o);
	if (!err)
		err = gmt_pb__err(p.locs);
	if (!err)
		err = gmt_pb__err(p.funcs);
	if (err)
		goto out;
	/* The Locations and Functions the samples named, after the samples. */
	data = gmt_pb__data(p.locs, &len);
	gmt_pb__raw(prof, data, len);
	data = gmt_pb__data(p.funcs, &len);
	gmt_pb__raw(prof, data, len);
	gmt_strtab__encode(p.st, prof, PROFILE_STRING_TABLE);
	err = gmt_pb__err(prof);
	if (err)
		goto out;
	err = gmt_pb__write_gzip(prof, f);
	if (!err && ferror(f))
		err = -EIO;
out:
	gmt_pb__free(prof);
	gmt_pb__free(p.funcs);
	gmt_pb__free(p.locs);
	gmt_strtab__free(p.st);
	gmt_hmap_free(&p.func_by_name);
	gmt_hmap_free(&p.loc_by_pc);
	return err;
}

static int fill_agg(struct pp *p, struct gmt_pb *prof, const void *arg,
		    const struct gmt_run_info *ri, const struct gmt_pprof_opts *o)
{
	return build(p, prof, arg, ri, o);
}

int gmt_write_pprof(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		    const struct gmt_run_info *ri, const struct gmt_pprof_opts *o)
{
	if (!a || !f || (o && o->inuse && !o->inuse_only && !o->inuse_fn))
		return -EINVAL;
	return write_profile(sym, f, ri, o, fill_agg, a);
}

/* ---- heap profiles from the runtime's buckets ---- */

/* What a profile of the runtime's own records holds: the heap's four values, or one count. */
struct sample_kind {
	int nvalues;
	const char *const (*types)[2];
	const char *period_type[2];
	const char *what; /* for the comment */
};

static const char *const heap_types[4][2] = {
	{ "alloc_objects", "count" },
	{ "alloc_space", "bytes" },
	{ "inuse_objects", "count" },
	{ "inuse_space", "bytes" },
};

static const struct sample_kind heap_kind = { 4, heap_types, { "space", "bytes" },
					       "the runtime's heap profile" };

static const char *const goroutine_types[1][2] = { { "goroutine", "count" } };

/* As runtime/pprof writes the goroutine profile (debug=0). */
static const struct sample_kind goroutine_kind = { 1, goroutine_types, { "goroutine", "count" },
						    "the goroutines" };

static int heap_sample(struct pp *p, struct gmt_pb *b, const struct gmt_heap_sample *s,
		       uint64_t *loc_ids, int64_t bytes_key, const struct sample_kind *k)
{
	size_t m, l;
	int err;

	for (uint32_t i = 0; i < s->depth; i++) {
		err = location_id(p, s->pcs[i], &loc_ids[i]);
		if (err)
			return err;
	}
	m = gmt_pb__open(b, PROFILE_SAMPLE);
	gmt_pb__packed_u64(b, SAMPLE_LOCATION_ID, loc_ids, s->depth);
	gmt_pb__packed_i64(b, SAMPLE_VALUE, s->values, (size_t)k->nvalues);
	if (s->block_bytes) {
		l = gmt_pb__open(b, SAMPLE_LABEL);
		gmt_pb__i64(b, LABEL_KEY, bytes_key);
		gmt_pb__i64(b, LABEL_NUM, s->block_bytes);
		gmt_pb__close(b, l);
	}
	gmt_pb__close(b, m);
	return 0;
}

static int heap_build(struct pp *p, struct gmt_pb *prof, const struct gmt_heap_sample *s, size_t n,
		      const struct gmt_run_info *ri, const struct gmt_pprof_opts *o,
		      const struct sample_kind *k)
{
	uint32_t maxd = 0;
	uint64_t *loc_ids;
	int64_t bytes_key;
	int err = 0;

	for (int i = 0; i < k->nvalues; i++)
		put_value_type(prof, PROFILE_SAMPLE_TYPE, str(p, k->types[i][0], &err),
			       str(p, k->types[i][1], &err));
	put_value_type(prof, PROFILE_PERIOD_TYPE, str(p, k->period_type[0], &err),
		       str(p, k->period_type[1], &err));
	gmt_pb__i64(prof, PROFILE_PERIOD, clamp_i64(o && o->period ? o->period : 1));
	if (ri)
		put_opt(prof, PROFILE_TIME_NANOS, clamp_i64(ri->start_wall_ns));
	bytes_key = str(p, "bytes", &err);
	put_mapping(p, prof, &err);
	if (ri) {
		char line[512];

		snprintf(line, sizeof(line), "gomemtrace snapshot: %s, pid %d, %s", k->what,
			 ri->pid, ri->go_version ? ri->go_version : "unknown Go version");
		gmt_pb__i64(prof, PROFILE_COMMENT, str(p, line, &err));
	}
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (s[i].depth > maxd)
			maxd = s[i].depth;
	loc_ids = calloc(maxd + 1, sizeof(*loc_ids));
	if (!loc_ids)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++)
		err = heap_sample(p, prof, &s[i], loc_ids, bytes_key, k);
	free(loc_ids);
	return err;
}

struct heap_arg {
	const struct gmt_heap_sample *s;
	size_t n;
	const struct sample_kind *k;
};

static int fill_heap(struct pp *p, struct gmt_pb *prof, const void *arg,
		     const struct gmt_run_info *ri, const struct gmt_pprof_opts *o)
{
	const struct heap_arg *h = arg;

	return heap_build(p, prof, h->s, h->n, ri, o, h->k);
}

static int write_records(const struct gmt_heap_sample *s, size_t n,
			 const struct gmt_symbolizer *sym, FILE *f, const struct gmt_run_info *ri,
			 const struct gmt_pprof_opts *o, const struct sample_kind *k)
{
	if ((!s && n) || !f)
		return -EINVAL;
	return write_profile(sym, f, ri, o, fill_heap, &(struct heap_arg){ s, n, k });
}

void gmt_pprof_exe_mapping(const struct gmt_gobin *gb, uint64_t bias, const char *path,
			   struct gmt_pprof_mapping *m)
{
	for (size_t i = 0; i < gmt_elf__nsegs(gb->elf); i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(gb->elf, i);

		if (s->type == PT_LOAD && (s->flags & PF_X)) {
			m->memory_start = s->vaddr + bias;
			m->memory_limit = s->vaddr + s->memsz + bias;
			m->file_offset = s->off;
			break;
		}
	}
	m->filename = path;
}

int gmt_write_heap_pprof(const struct gmt_heap_sample *s, size_t n,
			 const struct gmt_symbolizer *sym, FILE *f, const struct gmt_run_info *ri,
			 const struct gmt_pprof_opts *o)
{
	return write_records(s, n, sym, f, ri, o, &heap_kind);
}

int gmt_write_goroutine_pprof(const struct gmt_heap_sample *s, size_t n,
			      const struct gmt_symbolizer *sym, FILE *f,
			      const struct gmt_run_info *ri, const struct gmt_pprof_opts *o)
{
	struct gmt_pprof_opts po = o ? *o : (struct gmt_pprof_opts){};

	po.period = 1;
	return write_records(s, n, sym, f, ri, &po, &goroutine_kind);
}
