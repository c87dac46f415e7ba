// SPDX-License-Identifier: GPL-2.0-only
/*
 * zdtm_tty ROWS COLS: stdin and stdout are a terminal at home (the test
 * runs it on a pty whose window is ROWS x COLS, as session leader and
 * foreground group). After the migration isatty, ttyname, tcgetattr (with
 * the echo flag it turned off before), TIOCGWINSZ, tcgetpgrp and getsid
 * still see that terminal, and tcsetattr changes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	unsigned rows = argc > 2 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;
	unsigned cols = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
	struct termios t0, t;
	struct winsize ws;
	char name[64], *now;

	zdtm_init("zdtm_tty");
	if (!isatty(0) || !isatty(1) || tcgetattr(0, &t0) || !ttyname(0)) {
		printf("FAIL zdtm_tty: not on a terminal: %s\n", strerror(errno));
		return 1;
	}
	snprintf(name, sizeof(name), "%s", ttyname(0));
	t0.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(0, TCSANOW, &t0) || tcgetattr(0, &t0)) {
		printf("FAIL zdtm_tty: tcsetattr: %s\n", strerror(errno));
		return 1;
	}

	zdtm_ready();
	zdtm_wait();

	zdtm_check(isatty(0) && isatty(1), "isatty says no: %m");
	now = ttyname(0);
	zdtm_check(now && strcmp(now, name) == 0, "ttyname '%s', was '%s'", now ? now : "(null)",
		   name);
	memset(&t, 0, sizeof(t));
	zdtm_check(tcgetattr(0, &t) == 0, "tcgetattr: %m");
	zdtm_check(t.c_lflag == t0.c_lflag && t.c_iflag == t0.c_iflag && t.c_oflag == t0.c_oflag &&
			   t.c_cflag == t0.c_cflag && memcmp(t.c_cc, t0.c_cc, sizeof(t.c_cc)) == 0,
		   "termios changed: lflag 0x%x, was 0x%x", (unsigned)t.c_lflag,
		   (unsigned)t0.c_lflag);
	zdtm_check(!(t.c_lflag & ECHO), "echo is on again");
	memset(&ws, 0, sizeof(ws));
	zdtm_check(ioctl(1, TIOCGWINSZ, &ws) == 0, "TIOCGWINSZ: %m");
	zdtm_check(ws.ws_row == rows && ws.ws_col == cols, "window %ux%u, expected %ux%u",
		   ws.ws_row, ws.ws_col, rows, cols);
	zdtm_check(tcgetpgrp(0) == getpgrp(), "foreground group %d, own group %d",
		   (int)tcgetpgrp(0), (int)getpgrp());
	zdtm_check(getsid(0) == getpid(), "session %d, pid %d", (int)getsid(0), (int)getpid());

	t.c_lflag |= ECHO;
	zdtm_check(tcsetattr(0, TCSADRAIN, &t) == 0, "tcsetattr after: %m");
	memset(&t, 0, sizeof(t));
	zdtm_check(tcgetattr(0, &t) == 0 && (t.c_lflag & ECHO), "echo did not come back on");
	ws.ws_row = 24;
	ws.ws_col = 80;
	zdtm_check(ioctl(0, TIOCSWINSZ, &ws) == 0, "TIOCSWINSZ: %m");
	memset(&ws, 0, sizeof(ws));
	zdtm_check(ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 24 && ws.ws_col == 80,
		   "window after TIOCSWINSZ %ux%u", ws.ws_row, ws.ws_col);
	return zdtm_done();
}
