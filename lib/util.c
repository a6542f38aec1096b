// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>

#include "lib/util.h"

int itsperf_verbose;
volatile int itsperf_stop;
volatile int itsperf_stop_signal;

static void vmsg(FILE *f, const char *pfx, const char *fmt, va_list ap)
{
	fprintf(f, "itsperf: %s", pfx);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stderr, "error: ", fmt, ap);
	va_end(ap);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stderr, "warning: ", fmt, ap);
	va_end(ap);
}

void info_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stderr, "", fmt, ap);
	va_end(ap);
}

void debug_msg(const char *fmt, ...)
{
	va_list ap;

	if (!itsperf_verbose)
		return;
	va_start(ap, fmt);
	vmsg(stderr, "debug: ", fmt, ap);
	va_end(ap);
}

static void oom(size_t size)
{
	fprintf(stderr, "itsperf: error: out of memory (%zu bytes)\n", size);
	exit(EXIT_FAIL);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		oom(size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		oom(size);
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom(strlen(s));
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (ret < 0)
		oom(0);
	return s;
}

char *read_file(const char *path, size_t *len)
{
	size_t cap = 4096;
	size_t n = 0;
	char *buf;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	r = errno;
	free(buf);
	close(fd);
	errno = r;
	return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t r;

	while (len) {
		r = write(fd, buf, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += r;
		len -= r;
	}
	return 0;
}

int write_file(const char *path, const char *buf, size_t len)
{
	int saved;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_all(fd, buf, len)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int write_file_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

int write_file_atomic(const char *path, const char *buf, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int saved;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (write_all(fd, buf, len) || fsync(fd)) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail_unlink;
	}
	if (close(fd) || rename(tmp, path))
		goto fail_unlink;
	free(tmp);
	return 0;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			goto fail;
		*s = '/';
	}
	if (mkdir(p, mode) && errno != EEXIST)
		goto fail;
	free(p);
	return 0;
fail:
	free(p);
	return -1;
}

int rm_rf(const char *path)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (rm_rf(sub))
			ret = -1;
		free(sub);
	}
	closedir(d);
	if (rmdir(path))
		ret = -1;
	return ret;
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int parse_double(const char *s, double *v)
{
	char *end;
	double x;

	if (!s || !*s)
		return -1;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t *ns)
{
	static const struct {
		const char *sfx;
		double mult;
	} units[] = {
		{ "ns", 1 },   { "us", 1e3 },	{ "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 }, { "", 1e9 },
	};
	char *end;
	double x;
	size_t i;

	if (!s || !*s)
		return -1;
	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || x < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(end, units[i].sfx)) {
			*ns = (uint64_t)(x * units[i].mult);
			return 0;
		}
	}
	return -1;
}

int parse_cpulist(const char *s, uint64_t *mask, int nbits)
{
	const char *p = s;
	int count = 0;
	int i;

	memset(mask, 0, ((nbits + 63) / 64) * sizeof(*mask));
	if (!s || !*s)
		return -1;
	while (*p) {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			return -1;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				return -1;
			b = strtoul(p, &end, 10);
		}
		if (b < a || b >= (unsigned long)nbits)
			return -1;
		for (i = a; i <= (int)b; i++) {
			if (!(mask[i / 64] & (1ull << (i % 64))))
				count++;
			mask[i / 64] |= 1ull << (i % 64);
		}
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
		else
			break;
	}
	return count;
}

int format_cpulist(const uint64_t *mask, int nbits, char *buf, size_t len)
{
	size_t off = 0;
	int i = 0;
	int j;

	buf[0] = '\0';
	while (i < nbits) {
		if (!(mask[i / 64] & (1ull << (i % 64)))) {
			i++;
			continue;
		}
		for (j = i; j + 1 < nbits && (mask[(j + 1) / 64] & (1ull << ((j + 1) % 64))); j++)
			;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%d", off ? "," : "", i);
		if (j > i)
			off += snprintf(buf + off, off < len ? len - off : 0, "-%d", j);
		i = j + 1;
	}
	return off < len ? 0 : -1;
}

char *strim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

bool str_starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

struct cleanup_entry {
	cleanup_fn fn;
	void *arg;
	const char *what;
};

static struct cleanup_entry *cleanups;
static int nr_cleanups;
static int cleanup_registered;

static void cleanup_atexit(void)
{
	cleanup_run_all();
}

int cleanup_push(cleanup_fn fn, void *arg, const char *what)
{
	if (!cleanup_registered) {
		atexit(cleanup_atexit);
		cleanup_registered = 1;
	}
	cleanups = xrealloc(cleanups, (nr_cleanups + 1) * sizeof(*cleanups));
	cleanups[nr_cleanups].fn = fn;
	cleanups[nr_cleanups].arg = arg;
	cleanups[nr_cleanups].what = what;
	nr_cleanups++;
	return 0;
}

void cleanup_forget(cleanup_fn fn, void *arg)
{
	int i;

	for (i = nr_cleanups - 1; i >= 0; i--) {
		if (cleanups[i].fn != fn || cleanups[i].arg != arg)
			continue;
		memmove(&cleanups[i], &cleanups[i + 1], (nr_cleanups - i - 1) * sizeof(*cleanups));
		nr_cleanups--;
		return;
	}
}

void cleanup_run_all(void)
{
	while (nr_cleanups > 0) {
		struct cleanup_entry e = cleanups[--nr_cleanups];

		debug_msg("cleanup: %s", e.what ? e.what : "?");
		e.fn(e.arg);
	}
}

static void stop_handler(int sig)
{
	itsperf_stop = 1;
	itsperf_stop_signal = sig;
}

void install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_handler;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: blocking reads and sleeps return EINTR so loops see the stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

bool sleep_interruptible_ns(uint64_t ns)
{
	struct timespec ts;
	uint64_t end = now_ns() + ns;
	uint64_t now;

	while (!itsperf_stop) {
		now = now_ns();
		if (now >= end)
			return false;
		ns = end - now;
		if (ns > 100000000ull)
			ns = 100000000ull; /* re-check the stop flag every 100 ms */
		ts.tv_sec = ns / 1000000000ull;
		ts.tv_nsec = ns % 1000000000ull;
		nanosleep(&ts, NULL);
	}
	return true;
}
