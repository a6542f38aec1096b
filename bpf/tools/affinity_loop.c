// SPDX-License-Identifier: GPL-2.0
/*
 * Bench workload for the BPF collectors' overhead per ITS command, run in
 * the emulated host: N writes to /proc/irq/IRQ/smp_affinity_list that
 * alternate the interrupt between CPU 0 and 1, so that each write issues
 * one MOVI (+SYNC). Prints the mean nanoseconds per write; restores the
 * original affinity. No fork in the loop: the time is the kernel's.
 *
 *   affinity_loop IRQ N
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

int main(int argc, char **argv)
{
	char path[128], orig[64] = "";
	struct timespec a, b;
	long irq, n, i;
	ssize_t len;
	int fd;

	if (argc != 3 || (irq = strtol(argv[1], NULL, 10)) <= 0 ||
	    (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: affinity_loop IRQ N\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/irq/%ld/smp_affinity_list", irq);
	fd = open(path, O_RDONLY);
	if (fd < 0 || (len = read(fd, orig, sizeof(orig) - 1)) <= 0) {
		fprintf(stderr, "affinity_loop: %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	orig[len] = '\0';
	if (write_str(path, "0")) {
		fprintf(stderr, "affinity_loop: %s: %s\n", path, strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 1; i <= n; i++) {
		if (write_str(path, i & 1 ? "1" : "0")) {
			fprintf(stderr, "affinity_loop: write %ld: %s\n", i, strerror(errno));
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	write_str(path, orig);
	printf("%.0f\n",
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (i - 1 ? i - 1 : 1));
	return i > n ? 0 : 1;
}
