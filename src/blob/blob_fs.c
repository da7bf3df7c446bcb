/*
 * blob_fs.c - the file:// driver: one file per object under a root directory.
 *
 * A key is a relative path below the root (blob.c has already refused
 * anything that could leave it). A put copies into a temporary file in the
 * object's own directory, fsyncs it, renames it over the final name and
 * fsyncs the directory, so a crash leaves the old object or the new one,
 * never half of one. Temporary names (".#tmp.XXXXXX") contain '#', which no
 * key may, so they can never collide with an object nor show in a listing.
 * Directories are made on demand (0700, each fsynced into its parent) and
 * removed again by a delete when it empties them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "blob/blob_int.h"
#include "base/xalloc.h"

#define FS_COPY_CHUNK (256 * 1024)

struct fs {
	struct blob base;
	char *root; /* absolute, without a trailing '/' */
};

static struct fs *fs_of(struct blob *b)
{
	return (struct fs *)b;
}

/* root/key into out (PATH_MAX); false when too long. */
static bool fs_path(const struct fs *fs, const char *key, char *out)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", fs->root, key);
	return n > 0 && n < PATH_MAX;
}

static enum mtag_err errno_err(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return ERR_NOT_FOUND;
	case ENAMETOOLONG:
		return ERR_VALIDATION;
	case EEXIST:
	case EISDIR:
		return ERR_CONFLICT;
	default:
		return ERR_IO;
	}
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* mkdir -p for the directories of path below root (path = root/...; last component is a file). */
static int mkdirs_for(const struct fs *fs, char *path)
{
	size_t rl = strlen(fs->root);
	for (char *p = path + rl + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		int rc = mkdir(path, 0700);
		int e = errno;
		if (rc == 0) {
			char *parent_end = strrchr(path, '/');
			*parent_end = '\0';
			fsync_dir(path);
			*parent_end = '/';
		}
		*p = '/';
		if (rc != 0 && e != EEXIST) {
			errno = e;
			return -1;
		}
	}
	return 0;
}

/* Copy everything from in to out (at their current offsets). */
static int copy_fd(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			    errno == EOPNOTSUPP || errno == EBADF)
				break;
			return -1;
		}
	}
	char *buf = xmalloc(FS_COPY_CHUNK);
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, buf, FS_COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = -1;
				goto out;
			}
			off += w;
		}
	}
out:
	free(buf);
	return rc;
}

/* Make the temporary file for dst in dst's directory (made when missing). OUT: tmp (PATH_MAX). */
static int open_temp(const struct fs *fs, char *dst, char *tmp)
{
	char *slash = strrchr(dst, '/');
	*slash = '\0';
	int n = snprintf(tmp, PATH_MAX, "%s/.#tmp.XXXXXX", dst);
	*slash = '/';
	if (n <= 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/*
	 * A concurrent delete may remove a directory it emptied while we make
	 * the path or before the temporary file lands in it: try again.
	 */
	for (int tries = 0;; tries++) {
		int fd = -1;
		if (mkdirs_for(fs, dst) == 0) {
			memcpy(tmp + n - 6, "XXXXXX", 6);
			fd = mkostemp(tmp, O_CLOEXEC);
		}
		if (fd >= 0 || errno != ENOENT || tries == 16)
			return fd;
	}
}

static enum mtag_err fs_put_file(struct blob *b, const char *key, const char *path,
				 const char *content_type, char *err, size_t errlen)
{
	(void)content_type;
	struct fs *fs = fs_of(b);
	char dst[PATH_MAX], tmp[PATH_MAX];
	int in = -1, out = -1;
	bool tmp_made = false;
	enum mtag_err e = ERR_OK;

	if (!fs_path(fs, key, dst))
		return blob_errf(ERR_VALIDATION, err, errlen, "object key too long for %s", fs->root);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		e = blob_errf(ERR_IO, err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	out = open_temp(fs, dst, tmp);
	if (out < 0 && errno == ENOTDIR) {
		e = blob_errf(ERR_CONFLICT, err, errlen,
			      "local storage: %s cannot be stored where an object is a directory "
			      "of its path (the local driver cannot hold both a and a/b)", key);
		goto out;
	}
	if (out < 0) {
		e = blob_errf(errno_err(errno), err, errlen,
			      "local storage: cannot create a file for %s: %s", key, strerror(errno));
		goto out;
	}
	tmp_made = true;
	if (copy_fd(in, out) != 0 || fsync(out) != 0) {
		e = blob_errf(ERR_IO, err, errlen, "local storage: cannot write %s: %s", key,
			      strerror(errno));
		goto out;
	}
	if (close(out) != 0) {
		out = -1;
		e = blob_errf(ERR_IO, err, errlen, "local storage: cannot write %s: %s", key,
			      strerror(errno));
		goto out;
	}
	out = -1;
	if (rename(tmp, dst) != 0) {
		e = errno == EISDIR
			? blob_errf(ERR_CONFLICT, err, errlen,
				    "local storage: %s cannot be stored where other objects use it "
				    "as a directory (the local driver cannot hold both a and a/b)", key)
			: blob_errf(errno == ENAMETOOLONG ? ERR_VALIDATION : ERR_IO, err, errlen,
				    "local storage: cannot store %s: %s", key, strerror(errno));
		goto out;
	}
	tmp_made = false;
	*strrchr(dst, '/') = '\0';
	fsync_dir(dst);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (tmp_made)
		unlink(tmp);
	return e;
}

/* Open an object for reading; ERR_NOT_FOUND unless it is a regular file. OUT: *fd, *st. */
static enum mtag_err open_object(struct fs *fs, const char *key, int *fd, struct stat *st,
				 char *err, size_t errlen)
{
	char path[PATH_MAX];
	*fd = -1;
	if (!fs_path(fs, key, path))
		return blob_errf(ERR_NOT_FOUND, err, errlen, "no object %s", key);
	int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR || e == ELOOP)
			return blob_errf(ERR_NOT_FOUND, err, errlen, "no object %s", key);
		return blob_errf(ERR_IO, err, errlen, "local storage: cannot open %s: %s", key,
				 strerror(e));
	}
	if (fstat(f, st) != 0 || !S_ISREG(st->st_mode)) {
		close(f);
		return blob_errf(ERR_NOT_FOUND, err, errlen, "no object %s", key);
	}
	*fd = f;
	return ERR_OK;
}

static enum mtag_err fs_get_to_fd(struct blob *b, const char *key, int fd, char *err,
				  size_t errlen)
{
	struct stat st;
	int in;
	enum mtag_err e = open_object(fs_of(b), key, &in, &st, err, errlen);
	if (e != ERR_OK)
		return e;
	if (copy_fd(in, fd) != 0)
		e = blob_errf(ERR_IO, err, errlen, "local storage: cannot copy %s: %s", key,
			      strerror(errno));
	close(in);
	return e;
}

static int64_t mtime_us(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000;
}

static enum mtag_err fs_head(struct blob *b, struct arena *a, const char *key,
			     struct blob_info *out, char *err, size_t errlen)
{
	struct stat st;
	int fd;
	enum mtag_err e = open_object(fs_of(b), key, &fd, &st, err, errlen);
	if (e != ERR_OK)
		return e;
	close(fd);
	out->key = arena_strdup(a, key);
	out->size = (uint64_t)st.st_size;
	out->etag = NULL;
	out->modified_us = mtime_us(&st);
	return ERR_OK;
}

static enum mtag_err fs_del(struct blob *b, const char *key, char *err, size_t errlen)
{
	struct fs *fs = fs_of(b);
	char path[PATH_MAX];
	if (!fs_path(fs, key, path))
		return ERR_OK;
	if (unlink(path) != 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR || e == EISDIR)
			return ERR_OK;
		return blob_errf(ERR_IO, err, errlen, "local storage: cannot delete %s: %s", key,
				 strerror(e));
	}
	/*
	 * Remove the directories this emptied, up to (not including) the root,
	 * then fsync the directory that lost an entry.
	 */
	size_t rl = strlen(fs->root);
	char *slash;
	bool kept = false;
	while (!kept && (slash = strrchr(path, '/')) != NULL && (size_t)(slash - path) > rl) {
		*slash = '\0';
		kept = rmdir(path) != 0;
	}
	if (!kept)
		*strrchr(path, '/') = '\0';
	fsync_dir(path);
	return ERR_OK;
}

/* ---- listing: a walk of the directories in key order ---- */

struct fs_list {
	struct arena *a;
	size_t max;
	struct blob_info *items; /* xmalloc'd while walking */
	size_t n, cap;
	char *err;
	size_t errlen;
};

struct fs_entry {
	char *sort; /* the name, with '/' appended for a directory */
	bool dir;
};

static int entry_cmp(const void *x, const void *y)
{
	return strcmp(((const struct fs_entry *)x)->sort, ((const struct fs_entry *)y)->sort);
}

/* The entries of directory dfd that are objects or directories and start with filter. */
static struct fs_entry *read_entries(int dfd, const char *filter, size_t *count)
{
	DIR *d = fdopendir(dfd);
	struct fs_entry *v = NULL;
	size_t n = 0, cap = 0, flen = strlen(filter);
	if (!d) {
		close(dfd);
		*count = 0;
		return NULL;
	}
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		size_t len = strlen(de->d_name);
		if (!blob_segment_valid(de->d_name, len) || strncmp(de->d_name, filter, flen) != 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].dir = S_ISDIR(st.st_mode);
		v[n].sort = xmalloc(len + 2);
		memcpy(v[n].sort, de->d_name, len);
		v[n].sort[len] = v[n].dir ? '/' : '\0';
		v[n].sort[len + 1] = '\0';
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), entry_cmp);
	*count = n;
	return v;
}

static void list_add(struct fs_list *l, const char *key, const struct stat *st)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	struct blob_info *bi = &l->items[l->n++];
	bi->key = arena_strdup(l->a, key);
	bi->size = (uint64_t)st->st_size;
	bi->etag = NULL;
	bi->modified_us = mtime_us(st);
}

/* List directory root/rel (rel "" or ending in '/'), entries starting with filter. */
static enum mtag_err walk(struct fs *fs, struct fs_list *l, char *rel, const char *filter)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", fs->root, rel) >= (int)sizeof(path))
		return ERR_OK;
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return ERR_OK;
		return blob_errf(ERR_IO, l->err, l->errlen, "local storage: cannot list %s: %s",
				 rel, strerror(errno));
	}
	size_t count, rl = strlen(rel);
	struct fs_entry *v = read_entries(dfd, filter, &count);
	enum mtag_err e = ERR_OK;
	for (size_t i = 0; i < count && e == ERR_OK && l->n < l->max; i++) {
		size_t nl = strlen(v[i].sort); /* includes the '/' of a directory */
		if (rl + nl > BLOB_KEY_MAX)
			continue;
		memcpy(rel + rl, v[i].sort, nl + 1);
		if (v[i].dir) {
			e = walk(fs, l, rel, "");
		} else {
			struct stat st;
			if (snprintf(path, sizeof(path), "%s/%s", fs->root, rel) < (int)sizeof(path) &&
			    lstat(path, &st) == 0 && S_ISREG(st.st_mode))
				list_add(l, rel, &st);
		}
		rel[rl] = '\0';
	}
	for (size_t i = 0; i < count; i++)
		free(v[i].sort);
	free(v);
	return e;
}

static enum mtag_err fs_list(struct blob *b, struct arena *a, const char *prefix, size_t max,
			     struct blob_info **out, size_t *n, char *err, size_t errlen)
{
	struct fs_list l = { .a = a, .max = max, .err = err, .errlen = errlen };
	char rel[BLOB_KEY_MAX + 2];
	const char *slash = strrchr(prefix, '/');
	size_t dl = slash ? (size_t)(slash - prefix) + 1 : 0;
	memcpy(rel, prefix, dl);
	rel[dl] = '\0';
	enum mtag_err e = walk(fs_of(b), &l, rel, prefix + dl);
	if (e == ERR_OK && l.n) {
		*out = arena_calloc(a, l.n, sizeof(**out));
		memcpy(*out, l.items, l.n * sizeof(**out));
		*n = l.n;
	}
	free(l.items);
	return e;
}

static enum mtag_err fs_ping(struct blob *b, char *err, size_t errlen)
{
	struct fs *fs = fs_of(b);
	struct stat st;
	if (stat(fs->root, &st) != 0)
		return blob_errf(ERR_UNAVAILABLE, err, errlen, "local storage %s: %s", fs->root,
				 strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return blob_errf(ERR_UNAVAILABLE, err, errlen, "local storage %s: not a directory",
				 fs->root);
	if (access(fs->root, W_OK | X_OK) != 0)
		return blob_errf(ERR_UNAVAILABLE, err, errlen, "local storage %s: %s", fs->root,
				 strerror(errno));
	return ERR_OK;
}

static enum mtag_err fs_local_path(struct blob *b, struct arena *a, const char *key,
				   const char **path)
{
	*path = arena_printf(a, "%s/%s", fs_of(b)->root, key);
	return ERR_OK;
}

static void fs_close(struct blob *b)
{
	struct fs *fs = fs_of(b);
	free(fs->root);
	free(fs);
}

/* mkdir -p dir with mode 0700. */
static int mkdir_p(char *dir)
{
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		int rc = mkdir(dir, 0700);
		*p = c;
		if (rc != 0 && errno != EEXIST)
			return -1;
		if (c == '\0')
			return 0;
	}
}

enum mtag_err blob_fs_open(const char *dir, struct blob **out, char *err, size_t errlen)
{
	if (!*dir)
		return blob_errf(ERR_VALIDATION, err, errlen, "file:// storage URL has no directory");
	if (strlen(dir) >= PATH_MAX - BLOB_KEY_MAX - 16)
		return blob_errf(ERR_VALIDATION, err, errlen, "file:// storage directory is too long");
	char *copy = xstrdup(dir);
	size_t len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	int rc = mkdir_p(copy);
	int e = errno;
	char *abs = rc == 0 ? realpath(copy, NULL) : NULL;
	if (rc == 0 && !abs)
		e = errno;
	free(copy);
	if (!abs)
		return blob_errf(ERR_IO, err, errlen, "cannot create storage directory %s: %s", dir,
				 strerror(e));
	struct fs *fs = xcalloc(1, sizeof(*fs));
	fs->base.ops = &blob_fs_ops;
	fs->root = abs;
	*out = &fs->base;
	return ERR_OK;
}

const struct blob_ops blob_fs_ops = {
	.name = "local",
	.close = fs_close,
	.ping = fs_ping,
	.put_file = fs_put_file,
	.get_to_fd = fs_get_to_fd,
	.head = fs_head,
	.del = fs_del,
	.list = fs_list,
	.presign_get = NULL,
	.local_path = fs_local_path,
};
