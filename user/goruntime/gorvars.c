// SPDX-License-Identifier: MIT
#include "gorvars.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_file.h"
#include "gobin.h"
#include "go_release.h"
#include "rtvars.h"
#include "target.h"
#include "x86dec.h"

#define MAX_ALLG (1u << 24) /* more goroutines than anyone runs: a misread length */

struct decode_ctx {
	uint64_t lea[16]; /* rip-relative lea target last loaded into each register */
	uint64_t xchg[2]; /* targets of the first two `xchg r, 0(reg)` */
	int nxchg;
};

static int on_insn(const struct gmt_insn *in, void *arg)
{
	struct decode_ctx *c = arg;

	if (in->opmap == 0 && in->opcode == 0x8d && in->rip_rel && in->opsize == 8 &&
	    in->reg < 16) {
		c->lea[in->reg] = in->mem_target;
		return 0;
	}
	if (in->opmap == 0 && in->opcode == 0x87 && in->mem && in->opsize == 8 &&
	    in->base >= 0 && in->base < 16 && in->index == GMT_REG_NONE && in->disp == 0) {
		if (c->nxchg < 2)
			c->xchg[c->nxchg] = c->lea[in->base];
		if (++c->nxchg == 2)
			return 1;
		return 0;
	}
	for (int r = 0; r < 16; r++)
		if (c->lea[r] && gmt_rtvars_writes_reg(in, r))
			c->lea[r] = 0;
	return 0;
}

static int decode(const struct gmt_gobin *gb, struct gmt_gorvars *v)
{
	struct decode_ctx c = {};
	int err = gmt_rtvars_walk_func(gb, "runtime.allgadd", on_insn, &c);

	if (err) {
		snprintf(v->why, sizeof(v->why), "runtime.allgadd %s",
			 err == -ENOENT ? "is not in the binary" : "does not decode");
		return 0;
	}
	if (c.nxchg < 2 || !c.xchg[0] || !c.xchg[1] || c.xchg[0] == c.xchg[1] ||
	    !gmt_rtvars_writable(gb->elf, c.xchg[0], 8) ||
	    !gmt_rtvars_writable(gb->elf, c.xchg[1], 8)) {
		snprintf(v->why, sizeof(v->why),
			 "runtime.allgadd does not store allgptr and allglen as expected");
		return 0;
	}
	v->allgptr = c.xchg[0];
	v->allglen = c.xchg[1];
	v->decoded = true;
	return 0;
}

int gmt_gorvars_find(const struct gmt_gobin *gb, unsigned int flags, struct gmt_gorvars *v)
{
	memset(v, 0, sizeof(*v));
	if (!(flags & GMT_GORVARS_NO_SYMTAB) &&
	    gmt_rtvars_sym_addr(gb, "runtime.allglen", &v->allglen) &&
	    gmt_rtvars_sym_addr(gb, "runtime.allgptr", &v->allgptr))
		return 0;
	v->allglen = v->allgptr = 0;
	return decode(gb, v);
}

static int read_at(int fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len, (off_t)addr);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int gmt_gorvars_enumerate(pid_t pid, const struct gmt_gorvars *v, uint64_t bias,
			  const struct gmt_go_release *row, struct gmt_pre_g **out, size_t *n,
			  struct gmt_diag *d)
{
	const struct gmt_rel_g *off = &row->g;
	uint64_t len = 0, ptr = 0, *gs = NULL;
	struct gmt_pre_g *res = NULL;
	size_t k = 0;
	int fd, err;

	*out = NULL;
	*n = 0;
	if (!v->allglen || !v->allgptr)
		return gmt_diag_set(d, -ENOENT, "runtime.allgs: %s", v->why);
	fd = gmt_proc_open_mem(pid, O_RDONLY, d);
	if (fd < 0)
		return fd;
	/* Length first: the runtime publishes allgptr before allglen. */
	err = read_at(fd, v->allglen + bias, &len, sizeof(len));
	if (!err)
		err = read_at(fd, v->allgptr + bias, &ptr, sizeof(ptr));
	if (err) {
		gmt_diag_set(d, err, "cannot read runtime.allglen/allgptr of PID %d: %s",
			     (int)pid, strerror(-err));
		goto out;
	}
	if (len > MAX_ALLG || (len && !ptr)) {
		err = gmt_diag_set(d, -EINVAL, "runtime.allglen of PID %d reads %llu: not a length",
				   (int)pid, (unsigned long long)len);
		goto out;
	}
	gs = calloc(len ? len : 1, sizeof(*gs));
	res = calloc(len ? len : 1, sizeof(*res));
	if (!gs || !res) {
		err = -ENOMEM;
		goto out;
	}
	err = len ? read_at(fd, ptr, gs, len * sizeof(*gs)) : 0;
	if (err) {
		gmt_diag_set(d, err, "cannot read runtime.allgs of PID %d: %s", (int)pid,
			     strerror(-err));
		goto out;
	}
	for (uint64_t i = 0; i < len; i++) {
		struct gmt_pre_g *p = &res[k];
		uint32_t status = 0;

		if (!gs[i] || read_at(fd, gs[i] + off->atomicstatus, &status, sizeof(status)))
			continue;
		status &= ~(uint32_t)row->consts.g_scan;
		if (status == (uint32_t)row->consts.g_idle || status == (uint32_t)row->consts.g_dead)
			continue;
		if (read_at(fd, gs[i] + off->goid, &p->goid, sizeof(p->goid)))
			continue;
		if (read_at(fd, gs[i] + off->gopc, &p->gopc, sizeof(p->gopc)))
			p->gopc = 0;
		if (read_at(fd, gs[i] + off->startpc, &p->startpc, sizeof(p->startpc)))
			p->startpc = 0;
		p->status = status;
		k++;
	}
	*out = res;
	*n = k;
	res = NULL;
	err = 0;
out:
	free(gs);
	free(res);
	close(fd);
	return err;
}
