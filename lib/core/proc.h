/* proc.h — a process as /proc shows it: its start time (with its pid, what
 * tells it from a later process given the same pid), waiting for its end,
 * and its line in runc's ps table. */
#ifndef C_PROC_H
#define C_PROC_H

#include <sys/types.h>

/* Until pid (whose start time is start_time) has exited, at most
 * timeout_ms (< 0: no limit): 0 when it has (or was gone already), -1 with
 * errno ETIMEDOUT. */
int c_proc_wait_exit(pid_t pid, unsigned long long start_time, int timeout_ms);

/* The start time of pid (field 22 of /proc/PID/stat), 0 when it is gone. */
unsigned long long c_proc_start_time(pid_t pid);

/* One line of runc's ps table on stdout: uid, pid, ppid, the command line;
 * "-1" and an empty command for what cannot be read (a process gone). */
void c_proc_print_ps_line(pid_t pid);

#endif
