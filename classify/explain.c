/* explain.c - the --explain trace sink. */
#include <stdarg.h>
#include "explain.h"

void us_explain(const struct us_explain *ex, const char *fmt, ...)
{
	va_list ap;

	if (ex == NULL || ex->out == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(ex->out, fmt, ap);
	va_end(ap);
	fputc('\n', ex->out);
}
