// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's serial console as the host reads it from QEMU's stdout.
 *
 * Everything goes to console.log. Boot-phase lines are the kernel log (shown
 * with -v) and are scanned for the KVM mode line and panics. After init's
 * "begin" marker the bytes are COMMAND's output and are passed to stdout
 * unchanged (init switched the tty to -opost, so no \r is added), except
 * that a partial line that could still turn into a marker is held back
 * until it either does or cannot. init prints "\n" + exit marker: the held
 * back newline before the marker is init's, not COMMAND's, and is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "vm/vm.h"

#define TAIL_LINES 40

void console_init(struct console *c, const char *nonce, int out_fd, FILE *log, FILE *echo)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->nonce, sizeof(c->nonce), "ITSPERF:%s:", nonce);
	c->out_fd = out_fd;
	c->log = log;
	c->boot_echo = echo;
	c->exit_status = -1;
	c->tail_cap = TAIL_LINES;
	c->tail = xcalloc(c->tail_cap, sizeof(*c->tail));
}

static void out_write(struct console *c, const char *buf, size_t len)
{
	ssize_t r;

	while (len) {
		r = write(c->out_fd, buf, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			c->out_closed = true; /* e.g. `| head`: the run stops */
			return;
		}
		buf += r;
		len -= r;
	}
}

static void tail_add(struct console *c, const char *line)
{
	free(c->tail[c->tail_pos]);
	c->tail[c->tail_pos] = xstrdup(line);
	c->tail_pos = (c->tail_pos + 1) % c->tail_cap;
	if (c->tail_n < c->tail_cap)
		c->tail_n++;
}

void console_print_tail(const struct console *c, FILE *f, int max)
{
	int n = c->tail_n < max ? c->tail_n : max;
	int i;

	for (i = 0; i < n; i++) {
		int idx = (c->tail_pos - n + i + c->tail_cap) % c->tail_cap;

		fprintf(f, "  | %s\n", c->tail[idx]);
	}
}

/* "ITSPERF:<nonce>:what" anywhere in the line -> "what", else NULL */
static const char *marker(const struct console *c, const char *line, bool at_start)
{
	const char *m =
		at_start ? (str_starts(line, c->nonce) ? line : NULL) : strstr(line, c->nonce);

	return m ? m + strlen(c->nonce) : NULL;
}

static void handle_marker(struct console *c, const char *what)
{
	if (!strcmp(what, "begin")) {
		c->phase = CON_CMD;
		c->begin_ns = now_ns();
	} else if (str_starts(what, "exit:")) {
		c->exit_status = atoi(what + 5);
		c->phase = CON_DONE;
		c->nl_pending = false;
	} else if (str_starts(what, "mode:")) {
		free(c->mode_mismatch);
		c->mode_mismatch = xstrdup(what + 5);
		c->phase = CON_DONE;
	} else if (str_starts(what, "error:")) {
		fprintf(stderr, "itsperf: guest: %s\n", what + 6);
	}
}

static void scan_line(struct console *c, const char *line)
{
	enum pkvm_mode m = pkvm_mode_from_line(line);

	if (m != PKVM_MODE_UNKNOWN)
		c->mode = m;
	if (!c->panic && strstr(line, "Kernel panic - not syncing")) {
		c->panic = true;
		c->panic_msg = xstrdup(strstr(line, "Kernel panic"));
	}
}

/* strip the \r of the kernel's \r\n in place */
static void chomp_cr(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == '\r')
		s[--n] = '\0';
}

/* write the not yet written part of the current line to COMMAND's output */
static void flush_partial(struct console *c)
{
	if (c->flushed == c->len)
		return;
	if (c->nl_pending) {
		out_write(c, "\n", 1);
		c->nl_pending = false;
	}
	out_write(c, c->line + c->flushed, c->len - c->flushed);
	c->flushed = c->len;
}

static void complete_line(struct console *c)
{
	enum con_phase phase = c->phase;
	const char *what;

	c->line[c->len] = '\0';
	if (phase == CON_CMD) {
		/* a marker can only start a line none of which was passed on */
		what = c->flushed || c->long_line ? NULL : marker(c, c->line, true);
		if (!what) {
			if (c->nl_pending) {
				/* an empty line of output: nothing to flush carries it */
				out_write(c, "\n", 1);
				c->nl_pending = false;
			}
			flush_partial(c);
			c->nl_pending = true;
		}
	} else {
		what = marker(c, c->line, false);
	}
	if (c->log) {
		fputs(c->line, c->log);
		fputc('\n', c->log);
	}
	chomp_cr(c->line);
	if (phase == CON_BOOT && c->boot_echo)
		fprintf(c->boot_echo, "%s\n", c->line);
	scan_line(c, c->line);
	tail_add(c, c->line);
	if (what)
		handle_marker(c, what);
	c->len = 0;
	c->flushed = 0;
	c->long_line = false;
}

/* could the partial line still become "ITSPERF:<nonce>:..."? */
static bool maybe_marker(const struct console *c)
{
	size_t n = strlen(c->nonce);

	if (c->flushed || c->long_line)
		return false;
	return !strncmp(c->line, c->nonce, c->len < n ? c->len : n);
}

void console_feed(struct console *c, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			complete_line(c);
			continue;
		}
		c->line[c->len++] = buf[i];
		if (c->len == sizeof(c->line) - 1) {
			/* a line this long is neither a marker nor a kernel message */
			if (c->phase == CON_CMD) {
				flush_partial(c);
				c->line[c->len] = '\0';
				if (c->log)
					fputs(c->line, c->log);
				c->len = 0;
				c->flushed = 0;
				/* the rest of the line is output, never a marker */
				c->long_line = true;
			} else {
				complete_line(c);
			}
		}
	}
	if (c->phase == CON_CMD && c->len > c->flushed && !maybe_marker(c))
		flush_partial(c);
}

void console_finish(struct console *c)
{
	if (c->len)
		complete_line(c);
	if (c->nl_pending) {
		/* COMMAND's last newline: no exit marker followed it */
		out_write(c, "\n", 1);
		c->nl_pending = false;
	}
	if (c->log)
		fflush(c->log);
}

void console_free(struct console *c)
{
	int i;

	for (i = 0; i < c->tail_cap; i++)
		free(c->tail[i]);
	free(c->tail);
	free(c->mode_mismatch);
	free(c->panic_msg);
	c->panic_msg = NULL;
	c->tail = NULL;
	c->mode_mismatch = NULL;
}
