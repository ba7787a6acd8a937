#include "mountinfo.h"

#include <stdlib.h>
#include <string.h>

#include "file.h"

#define MOUNTINFO_MAX (16 << 20)

/* Undoes mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The text up to the next space of *rest, NUL-terminated; NULL at the end. */
static char *next_field(char **rest)
{
	char *s = *rest, *sp;

	if (!s)
		return NULL;
	sp = strchr(s, ' ');
	*rest = sp ? sp + 1 : NULL;
	if (sp)
		*sp = '\0';
	return s;
}

/* One line into mi->m[mi->n], when it has every field. */
static void parse_line(struct c_mountinfo *mi, char *line)
{
	struct c_mount m = { 0 };
	char *rest = line, *f;

	for (int i = 0; (f = next_field(&rest)); i++) {
		if (i == 3)
			m.root = f;
		else if (i == 4)
			m.point = f;
		else if (i > 5 && !strcmp(f, "-"))
			break;
	}
	m.fstype = next_field(&rest);
	next_field(&rest); /* the source */
	m.super = next_field(&rest);
	if (!m.point || !m.super)
		return;
	unescape(m.root);
	unescape(m.point);
	mi->m[mi->n++] = m;
}

int c_mountinfo_read(const char *path, struct c_mountinfo *mi, c_err **err)
{
	size_t lines = 1;
	char *line, *next;

	*mi = (struct c_mountinfo){ 0 };
	if (c_read_file(path, MOUNTINFO_MAX, &mi->text, NULL, err) < 0)
		return -1;
	for (const char *s = mi->text; *s; s++)
		lines += *s == '\n';
	mi->m = calloc(lines, sizeof *mi->m);
	if (!mi->m) {
		c_mountinfo_free(mi);
		return c_err_sys(err, "read", path);
	}
	for (line = mi->text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		parse_line(mi, line);
	}
	return 0;
}

void c_mountinfo_free(struct c_mountinfo *mi)
{
	free(mi->text);
	free(mi->m);
	*mi = (struct c_mountinfo){ 0 };
}
