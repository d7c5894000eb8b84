/*
 * toml_scalar.c: the scalars of TOML 1.0 and the UTF-8 check.  Basic and
 * literal strings, single- and multi-line, with every escape; integers in
 * four radixes with underscores, refused past 64 bits; floats with inf and
 * nan; the four date-time kinds, each date checked against the calendar.
 * Reads only between the parser's position and the end of its buffer and
 * never past it: the text need not be NUL-terminated.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "toml_impl.h"
#include "util.h"

int
tp_check_utf8(struct parser *P)
{
	const unsigned char	*s = (const unsigned char *)P->buf;
	const unsigned char	*e = (const unsigned char *)P->end;
	uint32_t		 cp, min;
	int			 n, i;

	while (s < e) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 1, cp = *s & 0x1f, min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2, cp = *s & 0x0f, min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3, cp = *s & 0x07, min = 0x10000;
		} else
			goto bad;
		if (e - s <= n)
			goto bad;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		s += n + 1;
	}
	return 0;
bad:
	return tp_fail(P, (const char *)s, "invalid UTF-8 (byte 0x%02x)", *s);
}


/* ---- strings ------------------------------------------------------------- */

/* After the backslash of a basic string. */
static int
escape(struct parser *P, struct buf *b, int ml)
{
	static const char	from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char		*bs = P->p - 1, *q, *c;
	uint32_t		 cp = 0;
	int			 n, i, h;

	if (P->p < P->end && *P->p != '\0' && (c = strchr(from, *P->p)) != NULL) {
		buf_add(b, &to[c - from], 1);
		P->p++;
		return 0;
	}
	if (P->p < P->end && (*P->p == 'u' || *P->p == 'U')) {
		n = *P->p == 'u' ? 4 : 8;
		if (P->end - P->p <= n)
			return tp_fail(P, bs, "incomplete \\%c escape", *P->p);
		for (i = 1; i <= n; i++) {
			if ((h = hex_digit(P->p[i])) < 0)
				return tp_fail(P, bs, "invalid \\%c escape", *P->p);
			cp = cp << 4 | (uint32_t)h;
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return tp_fail(P, bs, "escape \\%c%.*s is no Unicode scalar value",
			    *P->p, n, P->p + 1);
		buf_add_utf8(b, cp);
		P->p += n + 1;
		return 0;
	}
	if (ml) {
		/* A line-ending backslash eats white space and line ends. */
		for (q = P->p; q < P->end && (*q == ' ' || *q == '\t'); q++)
			;
		if (tp_at_newline(P, q)) {
			P->p = q;
			while (P->p < P->end) {
				if (*P->p == ' ' || *P->p == '\t')
					P->p++;
				else if (tp_at_newline(P, P->p))
					P->p += *P->p == '\r' ? 2 : 1;
				else
					break;
			}
			return 0;
		}
	}
	if (P->p < P->end && *P->p > 0x20 && *P->p < 0x7f)
		return tp_fail(P, bs, "invalid escape sequence '\\%c'", *P->p);
	return tp_fail(P, bs, "invalid escape sequence");
}

/*
 * A string at P->p (its opening quote) into b.  Keys pass ml_ok 0: there
 * a quote pair is an empty string.
 */
int
tp_parse_string(struct parser *P, struct buf *b, int ml_ok)
{
	const char	*start = P->p, *q;
	char		 quote = *P->p;
	int		 ml = 0, n;

	buf_reset(b);
	if (ml_ok && P->end - P->p >= 3 && P->p[1] == quote && P->p[2] == quote) {
		ml = 1;
		P->p += 3;
		if (tp_at_newline(P, P->p))
			P->p += *P->p == '\r' ? 2 : 1;
	} else
		P->p++;
	for (;;) {
		if (P->p >= P->end)
			return tp_fail(P, start, "unterminated string");
		if (*P->p == quote) {
			if (!ml) {
				P->p++;
				return 0;
			}
			for (n = 0; P->p + n < P->end && P->p[n] == quote; n++)
				;
			if (n >= 3) {
				if (n > 5)
					return tp_fail(P, P->p, "too many quotes closing a string");
				buf_add(b, P->p, (size_t)n - 3);
				P->p += n;
				return 0;
			}
			buf_add(b, P->p, (size_t)n);
			P->p += n;
		} else if (*P->p == '\\' && quote == '"') {
			P->p++;
			if (escape(P, b, ml) == -1)
				return -1;
		} else if (*P->p == '\n' || *P->p == '\r') {
			if (!ml)
				return tp_fail(P, P->p, "line end in a single-line string");
			if (!tp_at_newline(P, P->p))
				return tp_fail(P, P->p, "carriage return without a line feed");
			buf_add(b, "\n", 1);
			P->p += *P->p == '\r' ? 2 : 1;
		} else if (tp_is_control((unsigned char)*P->p)) {
			return tp_fail(P, P->p, "%s in a string", tp_what(P, P->p));
		} else {
			for (q = P->p; q < P->end && *q != quote && *q != '\\' &&
			    !tp_is_control((unsigned char)*q); q++)
				;
			if (q == P->p)	/* a backslash in a literal string */
				q++;
			buf_add(b, P->p, (size_t)(q - P->p));
			P->p = q;
		}
	}
}

/* ---- numbers and date-times ------------------------------------------- */

int
tp_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Digits of a radix, underscores only between two digits. */
static const char *
scan_digits(const char *s, const char *end, int base)
{
	if (s >= end || hex_digit(*s) < 0 || hex_digit(*s) >= base)
		return NULL;
	for (s++; s < end; s++) {
		if (*s == '_') {
			if (s + 1 >= end || hex_digit(s[1]) < 0 || hex_digit(s[1]) >= base)
				return NULL;
		} else if (hex_digit(*s) < 0 || hex_digit(*s) >= base)
			break;
	}
	return s;
}

/* Accumulate digits (underscores skipped) of base into *out, at most max. */
static int
digits_value(const char *s, const char *e, int base, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0, d;

	for (; s < e; s++) {
		if (*s == '_')
			continue;
		d = (uint64_t)hex_digit(*s);
		if (v > (max - d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return 0;
}

struct toml_value *
tp_parse_number(struct parser *P, unsigned int depth)
{
	struct toml_value	*v;
	const char		*start = P->p, *s = P->p, *e, *digits;
	int			 neg = 0, sign = 0, isfloat = 0, base;
	uint64_t		 mag;
	char			*end;

	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		sign = 1;
		s++;
	}
	if (P->end - s >= 3 && (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0)) {
		if ((v = tp_new_value(P, TOML_FLOAT, start, depth)) == NULL)
			return NULL;
		v->u.f = *s == 'i' ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
		P->p = s + 3;
		return v;
	}
	if (!sign && P->end - s >= 2 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		digits = s + 2;
		if ((e = scan_digits(digits, P->end, base)) == NULL) {
			tp_fail(P, start, "invalid %s integer",
			    base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary");
			return NULL;
		}
		if (digits_value(digits, e, base, INT64_MAX, &mag) == -1) {
			tp_fail(P, start, "integer does not fit in 64 bits");
			return NULL;
		}
		if ((v = tp_new_value(P, TOML_INTEGER, start, depth)) == NULL)
			return NULL;
		v->u.i = (int64_t)mag;
		P->p = e;
		return v;
	}
	digits = s;
	if ((e = scan_digits(s, P->end, 10)) == NULL) {
		tp_fail(P, start, "invalid number");
		return NULL;
	}
	if (*s == '0' && e - s > 1) {
		tp_fail(P, start, "leading zero in a number");
		return NULL;
	}
	s = e;
	if (s < P->end && *s == '.') {
		if ((s = scan_digits(s + 1, P->end, 10)) == NULL) {
			tp_fail(P, start, "invalid float: digits must follow '.'");
			return NULL;
		}
		isfloat = 1;
	}
	if (s < P->end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < P->end && (*s == '+' || *s == '-'))
			s++;
		if ((s = scan_digits(s, P->end, 10)) == NULL) {
			tp_fail(P, start, "invalid float exponent");
			return NULL;
		}
		isfloat = 1;
	}
	if (isfloat) {
		buf_reset(&P->sb);
		for (e = start; e < s; e++)
			if (*e != '_')
				buf_add(&P->sb, e, 1);
		if ((v = tp_new_value(P, TOML_FLOAT, start, depth)) == NULL)
			return NULL;
		v->u.f = strtod(P->sb.p, &end);
		P->p = s;
		return v;
	}
	if (digits_value(digits, e, 10, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX,
	    &mag) == -1) {
		tp_fail(P, start, "integer does not fit in 64 bits");
		return NULL;
	}
	if ((v = tp_new_value(P, TOML_INTEGER, start, depth)) == NULL)
		return NULL;
	v->u.i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	P->p = e;
	return v;
}

/* n decimal digits at s, within the buffer. */
static int
num(const struct parser *P, const char *s, int n, int *out)
{
	int	v = 0;

	if (P->end - s < n)
		return -1;
	while (n-- > 0) {
		if (!tp_is_digit(*s))
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	*out = v;
	return 0;
}

static int
days_in(int year, int month)
{
	static const int	days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* HH:MM:SS[.frac] at *sp. */
static int
parse_time(struct parser *P, const char **sp, struct toml_datetime *dt)
{
	const char	*s = *sp;
	long		 scale = 100000000;

	if (P->end - s < 8 || num(P, s, 2, &dt->hour) == -1 || s[2] != ':' ||
	    num(P, s + 3, 2, &dt->minute) == -1 || s[5] != ':' ||
	    num(P, s + 6, 2, &dt->second) == -1)
		return tp_fail(P, s, "invalid time: expected HH:MM:SS");
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return tp_fail(P, s, "invalid time: %.8s is out of range", s);
	s += 8;
	if (s < P->end && *s == '.') {
		if (s + 1 >= P->end || !tp_is_digit(s[1]))
			return tp_fail(P, s, "invalid time: digits must follow '.'");
		for (s++; s < P->end && tp_is_digit(*s); s++) {
			dt->nanosecond += (*s - '0') * scale;
			scale /= 10;
		}
	}
	*sp = s;
	return 0;
}

struct toml_value *
tp_parse_datetime(struct parser *P, unsigned int depth)
{
	struct toml_datetime	 dt;
	struct toml_value	*v;
	enum toml_type		 type;
	const char		*s = P->p;
	char			*c;
	int			 oh, om;

	memset(&dt, 0, sizeof(dt));
	if (P->end - s >= 5 && s[4] == '-') {
		if (num(P, s, 4, &dt.year) == -1 || num(P, s + 5, 2, &dt.month) == -1 ||
		    P->end - s < 8 || s[7] != '-' || num(P, s + 8, 2, &dt.day) == -1) {
			tp_fail(P, s, "invalid date: expected YYYY-MM-DD");
			return NULL;
		}
		if (dt.month < 1 || dt.month > 12 || dt.day < 1 ||
		    dt.day > days_in(dt.year, dt.month)) {
			tp_fail(P, s, "invalid date: %.10s does not exist", s);
			return NULL;
		}
		s += 10;
		type = TOML_DATE_LOCAL;
		if (s < P->end && (*s == 'T' || *s == 't' ||
		    (*s == ' ' && s + 1 < P->end && tp_is_digit(s[1])))) {
			s++;
			if (parse_time(P, &s, &dt) == -1)
				return NULL;
			type = TOML_DATETIME_LOCAL;
			if (s < P->end && (*s == 'Z' || *s == 'z')) {
				s++;
				type = TOML_DATETIME;
			} else if (s < P->end && (*s == '+' || *s == '-')) {
				if (num(P, s + 1, 2, &oh) == -1 || P->end - s < 6 ||
				    s[3] != ':' || num(P, s + 4, 2, &om) == -1 ||
				    oh > 23 || om > 59) {
					tp_fail(P, s, "invalid time offset: expected +HH:MM");
					return NULL;
				}
				dt.offset = (*s == '-' ? -1 : 1) * (oh * 60 + om);
				s += 6;
				type = TOML_DATETIME;
			}
		}
	} else {
		if (parse_time(P, &s, &dt) == -1)
			return NULL;
		type = TOML_TIME_LOCAL;
	}
	if ((v = tp_new_value(P, type, P->p, depth)) == NULL)
		return NULL;
	v->u.s.dt = tp_alloc(P, sizeof(dt));
	*v->u.s.dt = dt;
	v->u.s.len = (size_t)(s - P->p);
	v->u.s.p = tp_strndup(P, P->p, v->u.s.len);
	for (c = v->u.s.p; *c != '\0'; c++) {
		if (*c == 't' || *c == ' ')
			*c = 'T';
		else if (*c == 'z')
			*c = 'Z';
	}
	P->p = s;
	return v;
}

