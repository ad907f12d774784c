// SPDX-License-Identifier: MIT
#include "recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Process-wide like the umask it stands for: set once from the command line. */
static mode_t out_umask = GMT_OUT_UMASK_DEFAULT;

void gmt_recorder_set_umask(mode_t mask)
{
	out_umask = mask & 0777;
}

int gmt_outdir_prepare(const char *dir, struct gmt_diag *d)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		/* mkdir's mode goes through the process umask: set the exact one. */
		if (chmod(dir, 0777 & ~out_umask) < 0)
			return gmt_diag_set(d, -errno, "cannot chmod %s: %s", dir, strerror(errno));
	} else if (errno != EEXIST) {
		return gmt_diag_set(d, -errno, "cannot create output directory %s: %s", dir,
				    strerror(errno));
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return gmt_diag_set(d, -ENOTDIR, "%s is not a directory", dir);
	if (access(dir, W_OK | X_OK) < 0)
		return gmt_diag_set(d, -errno, "output directory %s is not writable: %s", dir,
				    strerror(errno));
	return 0;
}

int gmt_write_file_atomic(const char *dir, const char *name,
			  int (*write)(FILE *f, void *ctx), void *ctx, struct gmt_diag *d)
{
	return gmt_write_file_atomic_mode(dir, name, 0666 & ~out_umask, write, ctx, d);
}

int gmt_write_file_atomic_mode(const char *dir, const char *name, mode_t mode,
			       int (*write)(FILE *f, void *ctx), void *ctx, struct gmt_diag *d)
{
	char tmp[4096], final[4096];
	FILE *f;
	int fd, err;

	snprintf(final, sizeof(final), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", dir, name);
	fd = mkstemp(tmp); /* mode 0600, then the output mode before any byte */
	if (fd < 0)
		return gmt_diag_set(d, -errno, "cannot create %s: %s", final, strerror(errno));
	if (fchmod(fd, mode) < 0) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return gmt_diag_set(d, err, "cannot chmod %s: %s", tmp, strerror(-err));
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return gmt_diag_set(d, err, "cannot write %s: %s", final, strerror(-err));
	}
	err = write(f, ctx);
	/* A failed stdio write leaves its cause in errno (ENOSPC, EDQUOT...): report that
	 * rather than the writer's generic -EIO. */
	if (ferror(f) && errno && (!err || err == -EIO))
		err = -errno;
	if (fflush(f) != 0 || ferror(f))
		err = err ? err : -errno;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, final) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return gmt_diag_set(d, err, "cannot write %s: %s", final, strerror(-err));
	}
	return 0;
}
