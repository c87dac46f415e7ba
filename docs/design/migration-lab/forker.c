/* forker.c - counts, then forks at line 15 (after it was migrated): the
 * child runs at home with the home pid as its parent; the parent waits
 * for it and sees its status; then counts on and exits 5. */
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void)
{
	volatile double x = 0;
	for (int n = 0; n < 30; n++) {
		for (long i = 0; i < 100000000; i++) x += 1.0;
		printf("n=%d pid=%d x=%.0f\n", n, getpid(), x);
		fflush(stdout);
		if (n == 15) {
			pid_t c = fork();
			if (c == 0) {
				printf("child pid=%d ppid=%d\n", getpid(), getppid());
				fflush(stdout);
				_exit(9);
			}
			int st;
			waitpid(c, &st, 0);
			printf("parent: child %d exited %d\n", c, WEXITSTATUS(st));
		}
	}
	return 5;
}
