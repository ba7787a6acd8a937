#include "signame.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	int sig;
} names[] = {
	{ "HUP", SIGHUP },       { "INT", SIGINT },       { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },       { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },
	{ "IOT", SIGIOT },       { "BUS", SIGBUS },       { "FPE", SIGFPE },
	{ "KILL", SIGKILL },     { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },     { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },      { "CONT", SIGCONT },     { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },
	{ "URG", SIGURG },       { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },     { "WINCH", SIGWINCH },
	{ "IO", SIGIO },         { "POLL", SIGPOLL },     { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

/* A decimal number in [0, max], the whole of s. */
static int small_number(const char *s, long max)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -1;
	n = strtol(s, &end, 10);
	return *end || n > max ? -1 : (int)n;
}

int c_signal_parse(const char *s, int *out, c_err **err)
{
	const char *name = strncasecmp(s, "SIG", 3) ? s : s + 3;
	int n = small_number(s, NSIG - 1);

	if (n > 0) {
		*out = n;
		return 0;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(name, names[i].name)) {
			*out = names[i].sig;
			return 0;
		}
	/* RTMIN, RTMIN+N, RTMAX, RTMAX-N, within the real-time range */
	if (!strncasecmp(name, "RTMIN", 5) || !strncasecmp(name, "RTMAX", 5)) {
		bool min = !strncasecmp(name, "RTMIN", 5);
		const char *off = name + 5;
		int k = !*off ? 0 : *off == (min ? '+' : '-') ? small_number(off + 1, SIGRTMAX - SIGRTMIN) : -1;

		if (k >= 0) {
			*out = min ? SIGRTMIN + k : SIGRTMAX - k;
			return 0;
		}
	}
	return c_err_new(err, C_EXIT_DATA, 0, "unknown signal \"%s\"", s);
}

int c_signal_option(const char *s, int *out, c_err **err)
{
	if (c_signal_parse(s, out, err) < 0) {
		(*err)->status = C_EXIT_USAGE;
		return -1;
	}
	return 0;
}
