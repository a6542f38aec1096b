// SPDX-License-Identifier: GPL-2.0
/*
 * Test and bench workload for bpf:tp_selftest: N getpid(2) system calls
 * (through syscall(2): glibc may cache nothing, but be explicit), then
 * prints the elapsed nanoseconds per call; then sleeps S seconds if given
 * (a run to interrupt).
 *
 *   getpid_loop N [S]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	long n, i;

	if (argc < 2 || argc > 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: getpid_loop N [SLEEP_S]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	fflush(stdout);
	if (argc == 3)
		sleep(atoi(argv[2]));
	return 0;
}
