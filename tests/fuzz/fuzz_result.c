// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target for the result reader. The first byte picks the parser:
 * 'S' (or any odd byte) the samples-file parser, anything else meta.json.
 * The rest of the input is the file. Built with libFuzzer + ASan/UBSan
 * when clang's libFuzzer runtime is there; otherwise (FUZZ_STANDALONE) a
 * deterministic mutation loop over seed files for a bounded time, under
 * ASan/UBSan. Either way it must never crash, leak or read out of bounds:
 * a malformed file is an error message, nothing else.
 *
 *   fuzz_result -max_total_time=20 CORPUS_DIR      (libFuzzer)
 *   fuzz_result SECONDS SEED_FILE...               (standalone)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/result_read.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	char *text;

	if (!size)
		return 0;
	/* the parsers get a NUL-terminated copy, as read_file() gives them */
	text = xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] == 'S' || (data[0] & 1)) {
		uint64_t *v = NULL;
		size_t n = 0;

		if (!result_parse_samples("fuzz.txt", text, size - 1, NULL, UINT64_MAX, &v, &n, err,
					  sizeof(err)))
			free(v);
	} else {
		struct result_data *d;

		d = result_parse_meta(NULL, text, size - 1, RESULT_READ_QUIET, err, sizeof(err));
		result_free(d);
	}
	free(text);
	return 0;
}

#ifdef FUZZ_STANDALONE
#include <time.h>

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure replays */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

static const char *const tokens[] = { "{",
				      "}",
				      "[",
				      "]",
				      ",",
				      ":",
				      "\"",
				      "null",
				      "true",
				      "-1",
				      "1e308",
				      "18446744073709551616",
				      "\n",
				      "0",
				      "\"log2\"",
				      "\"linear\"",
				      "\"format_version\"",
				      "\"buckets\"",
				      "# count ",
				      "\\u0000" };

static size_t mutate(uint8_t *buf, size_t len, size_t cap, const uint8_t *other, size_t olen)
{
	size_t pos = len ? rnd() % len : 0;
	size_t n;

	switch (rnd() % 8) {
	case 0: /* flip a bit */
		if (len)
			buf[pos] ^= 1 << (rnd() % 8);
		break;
	case 1: /* truncate */
		return len ? 1 + rnd() % len : 0;
	case 2: /* an interesting byte */
		if (len)
			buf[pos] = "\0\n\"{}[]:,-0923\xff"[rnd() % 15];
		break;
	case 3: /* insert a token */ {
		const char *t = tokens[rnd() % (sizeof(tokens) / sizeof(tokens[0]))];

		n = strlen(t);
		if (len + n > cap)
			break;
		memmove(buf + pos + n, buf + pos, len - pos);
		memcpy(buf + pos, t, n);
		return len + n;
	}
	case 4: /* delete a chunk */
		n = rnd() % 64;
		if (pos + n > len)
			n = len - pos;
		memmove(buf + pos, buf + pos + n, len - pos - n);
		return len - n;
	case 5: /* duplicate a chunk */
		n = rnd() % 128;
		if (pos + n > len)
			n = len - pos;
		if (len + n > cap)
			break;
		memmove(buf + pos + n, buf + pos, len - pos);
		return len + n;
	case 6: /* splice the tail of another seed */
		if (!olen)
			break;
		n = rnd() % olen;
		if (pos + (olen - n) > cap)
			break;
		memcpy(buf + pos, other + n, olen - n);
		return pos + (olen - n);
	case 7: /* change a digit */
		for (n = 0; n < 32 && len; n++, pos = (pos + 1) % len) {
			if (buf[pos] >= '0' && buf[pos] <= '9') {
				buf[pos] = '0' + rnd() % 10;
				break;
			}
		}
		break;
	}
	return len;
}

int main(int argc, char **argv)
{
	struct seed {
		uint8_t *d;
		size_t n;
	} * seeds;
	unsigned long long execs = 0;
	uint8_t *buf;
	size_t cap = 1 << 20;
	time_t end;
	int nseeds = 0;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SECONDS SEED_FILE...\n", argv[0]);
		return 2;
	}
	end = time(NULL) + atoi(argv[1]);
	seeds = xcalloc(argc, sizeof(*seeds));
	for (i = 2; i < argc; i++) {
		size_t n;
		char *d = read_file(argv[i], &n);

		if (!d || n > cap) {
			fprintf(stderr, "%s: unreadable or too big\n", argv[i]);
			return 2;
		}
		seeds[nseeds].d = (uint8_t *)d;
		seeds[nseeds++].n = n;
	}
	buf = xmalloc(cap);
	/* every seed as is, then mutants of up to 8 stacked mutations */
	for (i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i].d, seeds[i].n);
	while (time(NULL) < end) {
		for (i = 0; i < 1000; i++) {
			struct seed *s = &seeds[rnd() % nseeds];
			struct seed *o = &seeds[rnd() % nseeds];
			size_t len = s->n;
			int k = 1 + rnd() % 8;

			memcpy(buf, s->d, len);
			while (k--)
				len = mutate(buf, len, cap, o->d, o->n);
			/* keep the mode byte meaningful most of the time */
			if (len && rnd() % 16)
				buf[0] = s->d[0];
			LLVMFuzzerTestOneInput(buf, len);
			execs++;
		}
	}
	printf("fuzz_result: %llu inputs from %d seeds, no crash\n", execs, nseeds);
	for (i = 0; i < nseeds; i++)
		free(seeds[i].d);
	free(seeds);
	free(buf);
	return 0;
}
#endif
