/* change.h — docker's --change: Dockerfile instructions that edit an image
 * config without a build (docker import/commit -c, podman import -c).
 *
 * The instructions CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER,
 * VOLUME and WORKDIR, read as docker's builder reads them:
 *   - the instruction in any case, its arguments after white space; podman's
 *     "INSTRUCTION=ARGUMENTS" too;
 *   - CMD, ENTRYPOINT: a JSON array of strings (exec form), else the rest of
 *     the line run by ["/bin/sh", "-c", LINE] (shell form); ENTRYPOINT
 *     empties Cmd unless a CMD came before it among the changes;
 *   - ENV, LABEL: KEY=VALUE pairs, split at white space outside quotes,
 *     or the old form "KEY VALUE..." (one pair, the rest of the line);
 *     ENV replaces a variable of the same name where it stands;
 *   - EXPOSE: PORT[-PORT][/tcp|udp|sctp] words, each port a key of
 *     ExposedPorts ("80/tcp"); VOLUME: a JSON array or words, keys of
 *     Volumes; USER, WORKDIR, STOPSIGNAL: one value (a relative WORKDIR goes
 *     on from the one before; STOPSIGNAL must name a signal);
 *   - in all but CMD and ENTRYPOINT, words are processed as a shell would
 *     take one word: quotes '...' and "..." removed, backslash escapes, and
 *     $NAME, ${NAME}, ${NAME:-WORD} and ${NAME:+WORD} replaced from the Env
 *     as it was before the instruction.
 * Errors are C_EXIT_DATA and quote the change:
 *     change "RUN make": RUN is not one of CMD, ENTRYPOINT, ENV, ...
 */
#ifndef C_CHANGE_H
#define C_CHANGE_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* Apply the n changes in order to config, the "config" object of an image
 * config (Cmd, Entrypoint, Env, ExposedPorts, Labels, StopSignal, User,
 * Volumes, WorkingDir). */
int c_change_apply(json_t *config, const char *const *changes, size_t n, c_err **err);

#endif
