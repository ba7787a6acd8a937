/* docker's --change instructions applied to an image config, as docker's
 * builder reads them (and the signal names STOPSIGNAL takes). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "json.h"
#include "signame.h"
#include "tap.h"

/* Apply changes (NULL-terminated) to a config parsed from start; the
 * config's "key" as compact JSON, or the error line. */
static char *apply(const char *start, const char *key, const char *const *changes)
{
	json_t *cfg = json_loads(start, 0, NULL);
	c_err *e = NULL;
	size_t n = 0;
	char *out;

	while (changes[n])
		n++;
	if (c_change_apply(cfg, changes, n, &e) < 0) {
		out = c_err_line(e);
		c_err_free(&e);
	} else {
		json_t *v = json_object_get(cfg, key);

		out = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("(none)");
	}
	json_decref(cfg);
	return out;
}

static void check(const char *start, const char *key, const char *want, const char *what,
		  const char *const *changes)
{
	char *got = apply(start, key, changes);

	if (!ok(got && !strcmp(got, want), "%s", what))
		tap_diag("want %s\n# got  %s", want, got ? got : "(null)");
	free(got);
}

#define C(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_commands(void)
{
	check("{}", "Cmd", "[\"a\",\"b c\"]", "CMD in exec form", C("CMD [\"a\", \"b c\"]"));
	check("{}", "Cmd", "[\"/bin/sh\",\"-c\",\"echo $HOME  hi\"]",
	      "CMD in shell form: the line as it is, for sh -c", C("CMD   echo $HOME  hi  "));
	check("{}", "Cmd", "[\"/bin/sh\",\"-c\",\"[not json\"]", "CMD that is not JSON: shell form",
	      C("CMD [not json"));
	check("{}", "Cmd", "[\"/bin/sh\",\"-c\",\"[\\\"a\\\", 1]\"]",
	      "a JSON array of other than strings: shell form", C("CMD [\"a\", 1]"));
	check("{}", "Cmd", "[]", "CMD []", C("CMD []"));
	check("{}", "Cmd", "[\"x\"]", "lowercase, and podman's CMD=...", C("cmd=[\"x\"]"));
	check("{\"Cmd\":[\"old\"]}", "Cmd", "(none)", "ENTRYPOINT empties an earlier Cmd",
	      C("ENTRYPOINT [\"/e\"]"));
	check("{\"Cmd\":[\"old\"]}", "Entrypoint", "[\"/bin/sh\",\"-c\",\"run me\"]",
	      "ENTRYPOINT in shell form", C("ENTRYPOINT run me"));
	check("{}", "Cmd", "[\"c\"]", "... but not a CMD given before it",
	      C("CMD [\"c\"]", "ENTRYPOINT [\"/e\"]"));
}

static void test_env_label(void)
{
	check("{}", "Env", "[\"A=1\",\"B=two words\",\"C=\"]",
	      "ENV pairs, quotes removed; $A is not set yet within its own ENV",
	      C("ENV A=1 B=\"two words\" C=$A"));
	check("{\"Env\":[\"PATH=/bin\",\"A=1\"]}", "Env", "[\"PATH=/bin\",\"A=3\",\"D=1:/bin\"]",
	      "a later ENV sees the earlier; a name set again keeps its place",
	      C("ENV D=${A}:$PATH", "ENV A=3"));
	check("{}", "Env", "[\"KEY=some value  here\"]", "the old form: KEY VALUE...",
	      C("ENV KEY some value  here"));
	check("{}", "Env", "[\"X=a b\",\"Y=$A\",\"Z=$A\",\"W=c\\\\d\"]",
	      "escapes: \\ outside quotes, '...' literal, \\$ in \"...\"",
	      C("ENV X=a\\ b Y='$A' Z=\"\\$A\" W=\"c\\d\""));
	check("{\"Env\":[\"S=set\",\"E=\"]}", "Env",
	      "[\"S=set\",\"E=\",\"R=set,dflt,alt,\"]", "${N:-word} and ${N:+word}",
	      C("ENV R=${S:-x},${E:-dflt},${S:+alt},${E:+alt}"));
	check("{}", "Labels", "{\"com.example.vendor\":\"ACME Inc\",\"version\":\"1.0\"}",
	      "LABEL pairs, quoted keys and values",
	      C("LABEL \"com.example.vendor\"=\"ACME Inc\" version=1.0"));
	check("{}", "Labels", "{\"a\":\"b c\"}", "LABEL's old form", C("LABEL a b c"));
	check("{}", "Env", "change \"ENV A=1 B\": can't find = in \"B\": must be of the form name=value",
	      "a pair without =", C("ENV A=1 B"));
	check("{}", "Env", "change \"ENV A=\"x\": unexpected end of statement while looking for matching double-quote",
	      "an unterminated quote", C("ENV A=\"x"));
}

static void test_others(void)
{
	check("{}", "ExposedPorts",
	      "{\"80/tcp\":{},\"53/udp\":{},\"8000/tcp\":{},\"8001/tcp\":{},\"8002/tcp\":{}}",
	      "EXPOSE ports, protocols and ranges", C("EXPOSE 80 53/udp 8000-8002/tcp"));
	check("{}", "ExposedPorts", "change \"EXPOSE 70000\": invalid port \"70000\": PORT[-PORT][/PROTOCOL], ports 1 to 65535",
	      "a port out of range", C("EXPOSE 70000"));
	check("{}", "ExposedPorts", "change \"EXPOSE 80/icmp\": invalid protocol in \"80/icmp\": tcp, udp or sctp",
	      "an unknown protocol", C("EXPOSE 80/icmp"));
	check("{}", "Volumes", "{\"/a\":{},\"/b\":{},\"/c\":{}}", "VOLUME as JSON and as words",
	      C("VOLUME [\"/a\", \"/b\"]", "VOLUME /c /a"));
	check("{}", "Volumes", "change \"VOLUME [\"\"]\": a VOLUME cannot be an empty string",
	      "an empty VOLUME", C("VOLUME [\"\"]"));
	check("{\"Env\":[\"U=app\"]}", "User", "\"app:1000\"", "USER, expanded", C("USER $U:1000"));
	check("{}", "WorkingDir", "\"/a/c\"", "WORKDIR: a relative one goes on from the last, cleaned",
	      C("WORKDIR /a", "WORKDIR b", "WORKDIR ../c/."));
	check("{}", "WorkingDir", "\"/x/y\"", "WORKDIR absolute, cleaned", C("WORKDIR /x/./y/"));
	check("{}", "StopSignal", "\"SIGKILL\"", "STOPSIGNAL by name, kept as given",
	      C("STOPSIGNAL SIGKILL"));
	check("{}", "StopSignal", "\"9\"", "STOPSIGNAL by number", C("STOPSIGNAL 9"));
	check("{}", "StopSignal", "change \"STOPSIGNAL SIGFOO\": unknown signal \"SIGFOO\"",
	      "an unknown signal", C("STOPSIGNAL SIGFOO"));
	check("{}", "Cmd", "change \"RUN make\": RUN is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR",
	      "RUN is refused", C("RUN make"));
	check("{}", "Cmd", "change \"CMD\": CMD needs at least one argument",
	      "an instruction without arguments", C("CMD"));
	check("{}", "Cmd", "change \"\": expected an instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR",
	      "an empty change", C(""));
}

static void test_signals(void)
{
	int sig = 0;
	c_err *e = NULL;

	ok(c_signal_parse("TERM", &sig, &e) == 0 && sig == SIGTERM, "TERM");
	ok(c_signal_parse("sigusr1", &sig, &e) == 0 && sig == SIGUSR1, "sigusr1, any case");
	ok(c_signal_parse("15", &sig, &e) == 0 && sig == 15, "a number");
	ok(c_signal_parse("RTMIN+2", &sig, &e) == 0 && sig == SIGRTMIN + 2 &&
		   c_signal_parse("SIGRTMAX-1", &sig, &e) == 0 && sig == SIGRTMAX - 1,
	   "RTMIN+N and RTMAX-N");
	ok(c_signal_parse("0", &sig, &e) < 0 && tap_err_has(&e, "unknown signal \"0\""),
	   "0 is no signal");
	ok(c_signal_parse("RTMIN+99", &sig, &e) < 0 && e && e->status == C_EXIT_DATA,
	   "beyond RTMAX");
	c_err_free(&e);
	ok(c_signal_parse("", &sig, &e) < 0, "empty");
	c_err_free(&e);
}

int main(void)
{
	test_commands();
	test_env_label();
	test_others();
	test_signals();
	return tap_done();
}
