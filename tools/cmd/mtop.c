// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtop: top for the cluster. A live ncurses table of the nodes, read from
 * mosix-infod's snapshot ($MOSIX_RUN_DIR/cluster) once per refresh: one
 * file however many nodes there are, so a 1000-node cluster costs what a
 * 4-node one does, and only the rows on screen are drawn. With -b, plain
 * text frames for scripts.
 */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "lib/diag.h"
#include "lib/nodefmt.h"
#include "lib/paths.h"
#include "lib/state.h"
#include "lib/util.h"

#define DELAY_MIN_MS 100u
#define DELAY_MAX_MS 3600000u
#define DELAY_DEFAULT_MS 2000u
/* a snapshot older than this (and than two refreshes) is called stale */
#define STALE_MS 10000u

/* lines around the node rows: title, totals, column titles / keys */
#define TOP_LINES 3
#define BOTTOM_LINES 1

static const char usage[] =
	"usage: mtop [-d SECONDS] [-s load|memory|id] [-n COUNT] [-b]\n"
	"\n"
	"Show the nodes of the mosix cluster, refreshed every few seconds, from\n"
	"mosix-infod's snapshot ($MOSIX_RUN_DIR/cluster).\n"
	"\n"
	"  -d SECONDS   refresh interval (default 2; decimals allowed, 0.1..3600)\n"
	"  -s ORDER     sort by load (busiest first, the default), memory (most\n"
	"               free first) or id\n"
	"  -n COUNT     stop after COUNT refreshes\n"
	"  -b           batch mode: print plain-text frames (no screen control)\n"
	"               to standard output, for scripts and logs\n"
	"  -h, --help   this text\n"
	"\n"
	"Keys: l, m, i sort by load, memory, id; + and - lengthen and shorten the\n"
	"interval, d asks for one; Up, Down, PgUp, PgDn, Home, End scroll; space\n"
	"refreshes now; q quits.\n"
	"\n"
	"Exit status: 0 success, 1 no snapshot (mosix-infod is not running) or\n"
	"another failure, 2 usage error.\n";

struct opts {
	unsigned delay_ms;
	enum nodefmt_sort sort;
	unsigned long count; /* 0: no end */
	bool batch;
	bool help;
};

/* What the screen shows: the last snapshot read and how to show it. */
struct view {
	struct cluster_state s;
	const struct node_state **order; /* s.node sorted for display */
	int err;			 /* of the last read, 0 if s is current */
	enum nodefmt_sort sort;
	unsigned delay_ms;
	size_t top;			 /* first row shown */
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mtop: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mtop --help'.\n");
	return 2;
}

/* "2", "0.5", "1.25" seconds into milliseconds within the allowed range. */
static int parse_seconds(const char *s, unsigned *ret_ms)
{
	uint32_t ms;
	int r = util_parse_seconds(s, DELAY_MIN_MS, DELAY_MAX_MS, &ms);

	if (r == 0)
		*ret_ms = ms;
	return r;
}

static int parse_count(const char *s, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || v == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			return 0;
		}
		if (strcmp(a, "-b") == 0) {
			o->batch = true;
			continue;
		}
		if (a[0] != '-' || !a[1] || !strchr("dsn", a[1]))
			return usage_error("unknown option '%s'", a);
		/* "-n 2" or, as top allows, "-n2" */
		if (a[2]) {
			v = a + 2;
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return usage_error("option '%s' needs an argument", a);
		}
		if (a[1] == 'd' && parse_seconds(v, &o->delay_ms) < 0)
			return usage_error("invalid interval '%s' (seconds, 0.1..3600)", v);
		if (a[1] == 's' && nodefmt_sort_parse(v, &o->sort) < 0)
			return usage_error("invalid order '%s' (load, memory or id)", v);
		if (a[1] == 'n' && parse_count(v, &o->count) < 0)
			return usage_error("invalid count '%s' (a positive number)", v);
	}
	return 0;
}

static uint64_t realtime_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void view_release(struct view *v)
{
	cluster_state_release(&v->s);
	free(v->order);
	v->order = NULL;
}

static void view_sort(struct view *v)
{
	if (v->order)
		nodefmt_sort(v->order, v->s.n, v->sort);
}

/*
 * Read the snapshot again. On failure the old one is dropped: showing
 * figures of a daemon that is gone would be a lie.
 */
static int view_read(struct view *v)
{
	struct cluster_state s;
	const struct node_state **order = NULL;
	int r;

	cluster_state_init(&s);
	r = cluster_state_read(paths_run_dir(), &s, NULL);
	if (r == 0) {
		order = calloc(s.n ? s.n : 1, sizeof(*order));
		if (!order) {
			cluster_state_release(&s);
			r = -ENOMEM;
		}
	}
	view_release(v);
	v->err = r;
	if (r < 0)
		return r;
	v->s = s;
	v->order = order;
	for (size_t i = 0; i < s.n; i++)
		order[i] = &v->s.node[i];
	view_sort(v);
	return 0;
}

/* Why there is nothing to show. */
static const char *read_error(int err, char *buf, size_t size)
{
	const char *run = paths_run_dir();

	if (err == -ENOENT)
		snprintf(buf, size, "mosix-infod is not running: no '%s/%s'", run, STATE_FILE);
	else
		snprintf(buf, size, "cannot read '%s/%s': %s", run, STATE_FILE,
			 strerror(-err));
	return buf;
}

static const char *clock_text(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%H:%M:%S", &tm))
		snprintf(buf, size, "--:--:--");
	return buf;
}

/* "2s", "0.5s", "1.25s" */
static const char *delay_text(unsigned ms, char *buf, size_t size)
{
	char frac[8];
	size_t n;

	snprintf(frac, sizeof(frac), "%03u", ms % 1000);
	for (n = strlen(frac); n && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	snprintf(buf, size, "%u%s%ss", ms / 1000, n ? "." : "", frac);
	return buf;
}

static const char *title(const struct view *v, uint64_t now, char *buf, size_t size)
{
	char clock[16], delay[NODEFMT_FIELD];
	uint64_t since = now > v->s.now_ms ? now - v->s.now_ms : 0;
	int len;

	delay_text(v->delay_ms, delay, sizeof(delay));
	len = snprintf(buf, size, "mtop - mosix cluster, node %" PRIu32 "  %s  sort: %s"
		       "  every %s", v->s.self, clock_text(clock, sizeof(clock)),
		       nodefmt_sort_name(v->sort), delay);
	if (len > 0 && (size_t)len < size && since > STALE_MS &&
	    since > 2ull * v->delay_ms) {
		char age[NODEFMT_FIELD];

		snprintf(buf + len, size - (size_t)len, "  (snapshot %s old)",
			 nodefmt_age(since, age, sizeof(age)));
	}
	return buf;
}

static int batch(struct view *v, unsigned long count)
{
	char line[512], flags[64], err[512];
	struct nodefmt_totals t;

	for (unsigned long i = 0; !count || i < count; i++) {
		uint64_t now;
		int w;

		if (i) {
			struct timespec ts = { v->delay_ms / 1000,
					       (long)(v->delay_ms % 1000) * 1000000 };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop_signal)
				;
			if (stop_signal)
				break;
			putchar('\n');
		}
		if (view_read(v) < 0) {
			fflush(stdout);
			fprintf(stderr, "mtop: %s\n", read_error(v->err, err, sizeof(err)));
			return 1;
		}
		now = realtime_ms();
		nodefmt_totals(&v->s, &t);
		w = nodefmt_addr_width(&v->s);
		printf("%s\n", title(v, now, line, sizeof(line)));
		printf("%s\n", nodefmt_totals_line(&t, line, sizeof(line)));
		printf("%s FLAGS\n", nodefmt_header(w, line, sizeof(line)));
		for (size_t k = 0; k < v->s.n; k++) {
			const struct node_state *n = v->order[k];

			printf("%s %s\n",
			       nodefmt_row(n, n->id == v->s.self,
					   nodefmt_age_now(&v->s, n, now), w, line, sizeof(line)),
			       nodefmt_flags(n->v.flags, false, flags, sizeof(flags)));
		}
		if (fflush(stdout) != 0)
			return 1;
	}
	return 0;
}

static size_t body_rows(void)
{
	return LINES > TOP_LINES + BOTTOM_LINES ? (size_t)(LINES - TOP_LINES - BOTTOM_LINES)
						: 0;
}

static void clamp_top(struct view *v)
{
	size_t rows = body_rows();
	size_t n = v->err ? 0 : v->s.n;

	if (n <= rows)
		v->top = 0;
	else if (v->top > n - rows)
		v->top = n - rows;
}

/* A line at @y, cut at the screen's edge, the rest of the line cleared. */
static void put_line(int y, const char *text, attr_t attr)
{
	if (y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, text, COLS);
	if (attr & A_REVERSE) {
		for (int x = (int)strlen(text); x < COLS; x++)
			addch(' ');
	}
	attroff(attr);
}

static void draw(struct view *v)
{
	char line[512];
	uint64_t now = realtime_ms();
	size_t n = v->err ? 0 : v->s.n, rows = body_rows();

	clamp_top(v);
	erase();
	if (v->err) {
		put_line(0, "mtop - mosix cluster", A_BOLD);
		put_line(2, read_error(v->err, line, sizeof(line)), 0);
	} else {
		struct nodefmt_totals t;
		char flags[16], row[256];

		put_line(0, title(v, now, line, sizeof(line)), A_BOLD);
		nodefmt_totals(&v->s, &t);
		put_line(1, nodefmt_totals_line(&t, line, sizeof(line)), 0);
		snprintf(line, sizeof(line), "%s FLAGS",
			 nodefmt_header(NODEFMT_ADDR_NARROW, row, sizeof(row)));
		put_line(2, line, A_REVERSE);
		for (size_t i = 0; i < rows && v->top + i < n; i++) {
			const struct node_state *s = v->order[v->top + i];
			bool self = s->id == v->s.self;
			attr_t attr = self ? A_BOLD : s->up ? 0 : A_DIM;

			snprintf(line, sizeof(line), "%s %s",
				 nodefmt_row(s, self, nodefmt_age_now(&v->s, s, now),
					     NODEFMT_ADDR_NARROW, row, sizeof(row)),
				 nodefmt_flags(s->v.flags, true, flags, sizeof(flags)));
			put_line(TOP_LINES + (int)i, line, attr);
		}
	}
	snprintf(line, sizeof(line),
		 "l/m/i sort  +/-/d delay  arrows PgUp PgDn scroll  q quit  [%zu-%zu/%zu]",
		 n ? v->top + 1 : 0, v->top + rows < n ? v->top + rows : n, n);
	put_line(LINES - 1, line, A_REVERSE);
	refresh();
}

/* The next step of + and - from @ms, up or down. */
static unsigned delay_step(unsigned ms, bool longer)
{
	static const unsigned steps[] = { 100, 200, 500, 1000, 2000, 3000, 5000,
					  10000, 30000, 60000 };
	size_t n = sizeof(steps) / sizeof(steps[0]);

	if (longer) {
		for (size_t i = 0; i < n; i++)
			if (steps[i] > ms)
				return steps[i];
		return ms;
	}
	for (size_t i = n; i-- > 0;)
		if (steps[i] < ms)
			return steps[i];
	return ms;
}

/* Ask for an interval on the bottom line; keeps the old one if invalid. */
static void ask_delay(struct view *v)
{
	char in[32] = "";
	unsigned ms;

	move(LINES - 1, 0);
	clrtoeol();
	addnstr("refresh interval in seconds: ", COLS);
	echo();
	curs_set(1);
	timeout(-1);
	if (getnstr(in, sizeof(in) - 1) == OK && parse_seconds(in, &ms) == 0)
		v->delay_ms = ms;
	noecho();
	curs_set(0);
}

/* One key: false when it is time to quit. *reread asks for a new read. */
static bool handle_key(struct view *v, int ch, bool *reread)
{
	size_t rows = body_rows(), n = v->err ? 0 : v->s.n;

	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case 'l':
	case 'm':
	case 'i':
		v->sort = ch == 'l' ? NODEFMT_BY_LOAD : ch == 'm' ? NODEFMT_BY_MEM : NODEFMT_BY_ID;
		view_sort(v);
		v->top = 0;
		break;
	case '+':
		v->delay_ms = delay_step(v->delay_ms, true);
		break;
	case '-':
		v->delay_ms = delay_step(v->delay_ms, false);
		break;
	case 'd':
		ask_delay(v);
		break;
	case KEY_UP:
	case 'k':
		if (v->top)
			v->top--;
		break;
	case KEY_DOWN:
	case 'j':
		if (v->top + rows < n)
			v->top++;
		break;
	case KEY_PPAGE:
		v->top = v->top > rows ? v->top - rows : 0;
		break;
	case KEY_NPAGE:
		v->top += rows;
		break;
	case KEY_HOME:
	case 'g':
		v->top = 0;
		break;
	case KEY_END:
	case 'G':
		v->top = n;
		break;
	case ' ':
		*reread = true;
		break;
	case 12: /* ^L */
		clearok(curscr, TRUE);
		break;
	case KEY_RESIZE:
		/* ncurses has taken the new size (SIGWINCH): draw for it */
		break;
	default:
		break;
	}
	return true;
}

static int interactive(struct view *v, unsigned long count)
{
	unsigned long reads = 0;
	uint64_t next;

	if (!initscr()) {
		fprintf(stderr, "mtop: cannot use the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);

	view_read(v);
	reads++;
	next = monotonic_ms() + v->delay_ms;
	for (;;) {
		bool reread = false;
		uint64_t now;
		int ch;

		draw(v);
		now = monotonic_ms();
		timeout(next > now ? (int)(next - now) : 0);
		ch = getch();
		if (stop_signal)
			break;
		if (ch != ERR && !handle_key(v, ch, &reread))
			break;
		if (reread || monotonic_ms() >= next) {
			if (count && reads >= count)
				break;
			view_read(v);
			reads++;
			next = monotonic_ms() + v->delay_ms;
		}
	}
	endwin();
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .delay_ms = DELAY_DEFAULT_MS, .sort = NODEFMT_BY_LOAD };
	struct sigaction sa = { .sa_handler = on_stop };
	struct view v = { 0 };
	int r;

	r = parse_args(argc, argv, &o);
	if (r)
		return r;
	if (o.help) {
		fputs(usage, stdout);
		return 0;
	}
	/* no SA_RESTART: a signal ends getch() and nanosleep() at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	setlocale(LC_ALL, "");

	cluster_state_init(&v.s);
	v.sort = o.sort;
	v.delay_ms = o.delay_ms;
	/* a missing snapshot is said plainly, before the screen is taken */
	if (view_read(&v) < 0) {
		char err[512];

		fprintf(stderr, "mtop: %s\n", read_error(v.err, err, sizeof(err)));
		view_release(&v);
		return 1;
	}
	r = o.batch ? batch(&v, o.count) : interactive(&v, o.count);
	view_release(&v);
	return r;
}
