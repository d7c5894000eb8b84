/*
 * lockfile.c: PEP 751 lock files as requirements.  Reads the file, hands
 * the TOML tree to pylock_select() and turns each selected package into a
 * pin carrying the wheel's path or url, its package's index, its size
 * and hashes; and verifies a wheel against them in a single read, every
 * hash algorithm OpenSSL knows, through the descriptor plan.c opened it
 * with (the bytes checked are the bytes the workers unpack; the path is
 * never opened here).  The decisions about which packages and which
 * wheel are pylock.c's; finding a file on an index is resolve.c's; what
 * to install and remove is plan.c's.  Never prints but the lock file's
 * own warnings; never changes a file.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fsutil.h"
#include "lockfile.h"
#include "pylock.h"
#include "reqline.h"
#include "reqs.h"
#include "sig.h"
#include "toml.h"
#include "url.h"
#include "version.h"
#include "wheel.h"

#define LOCK_MAX_HASHES	8

int
lockfile_is_name(const char *path)
{
	const char	*b = path_base(path);
	size_t		 n = strlen(b);

	if (strcmp(b, "pylock.toml") == 0)
		return 1;
	return n > strlen("pylock..toml") && strncmp(b, "pylock.", 7) == 0 &&
	    str_ends(b, ".toml") && strchr(b + 7, '.') == b + n - 5;
}

static char *
lower_dup(const char *s)
{
	char	*d = xstrdup(s), *p;

	for (p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* The lock file's sha256 of a pick, lower case, into q->sha256: the
 * digest a download is checked by as it arrives.  -1 with err_set(). */
static int
pick_sha256(struct req *q, const struct pylock_pick *p)
{
	size_t	i;

	for (i = 0; i < p->hashes.n && q->sha256 == NULL; i++)
		if (strncasecmp(p->hashes.v[i], "sha256:", 7) == 0 &&
		    strlen(p->hashes.v[i] + 7) == 64)
			q->sha256 = lower_dup(p->hashes.v[i] + 7);
	if (q->sha256 == NULL)
		return err_set("'%s': key 'hashes': forklift checks downloads by "
		    "sha256, and the lock file gives none", p->name);
	return 0;
}

/* Where a pick's wheel comes from: q->path (its path relative to the
 * lock file, or a file:// URL), else q->url for the engine to download,
 * checked by its sha256 and size as it arrives and by every other hash
 * once it is there.  A package's index goes to q->index: the file is
 * looked up there by its name when there is no url (resolve.c), or when
 * the url cannot be fetched (the engine).  -1 with err_set(). */
static int
pick_source(struct req *q, const char *lockpath, const struct pylock_pick *p)
{
	struct url	 u;
	int		 rc = -1;

	if (p->path != NULL) {
		q->path = reqline_relative(lockpath, p->path);
		return 0;
	}
	if (p->url == NULL) {
		if (p->index == NULL)
			return err_set("'%s' has neither a path nor a url",
			    p->name);
		if (pick_sha256(q, p) != 0)
			return -1;
		q->index = xstrdup(p->index);
		q->filename = xstrdup(p->filename);
		return 0;
	}
	if ((q->path = reqline_file_path(p->url)) != NULL)
		return 0;
	memset(&u, 0, sizeof(u));
	if (url_parse(p->url, &u) != 0 || (strcmp(u.scheme, "http") != 0 &&
	    strcmp(u.scheme, "https") != 0)) {
		char	*red = url_redact(p->url);

		err_set("'%s': %s is not a file, http or https URL", p->name, red);
		free(red);
		goto out;
	}
	if (pick_sha256(q, p) != 0)
		goto out;
	q->url = xstrdup(p->url);
	q->filename = xstrdup(p->filename);
	q->index = p->index ? xstrdup(p->index) : NULL;
	q->direct = 1;
	rc = 0;
out:
	url_free(&u);
	return rc;
}

static int
add_pick(struct reqs *rq, const char *lockpath, const struct pylock_pick *p)
{
	struct wheel_name	 fn;
	struct req		*q;
	size_t			 i;

	if (wheel_name_parse(p->filename, &fn) != 0) {
		strv_push_owned(&rq->errors, xasprintf("%s:%u: '%s': %s", lockpath,
		    p->line, p->filename, err_get()));
		return -1;
	}
	if (!name_eq(fn.name, p->name) || (p->version != NULL &&
	    version_strcmp(fn.version, p->version) != 0)) {
		strv_push_owned(&rq->errors, xasprintf("%s:%u: '%s' is not a wheel "
		    "of %s %s", lockpath, p->line, p->filename, p->name,
		    p->version ? p->version : ""));
		wheel_name_free(&fn);
		return -1;
	}
	q = reqs_new_req(rq, 0);
	if (pick_source(q, lockpath, p) != 0) {
		strv_push_owned(&rq->errors, xasprintf("%s:%u: %s", lockpath,
		    p->line, err_get()));
		reqs_req_free(q);
		rq->n--;
		wheel_name_free(&fn);
		return -1;
	}
	q->name = xstrdup(p->name);
	q->norm = name_normalize(p->name);
	q->version = xstrdup(p->version ? p->version : fn.version);
	for (i = 0; i < p->hashes.n; i++)
		strv_push(&q->hashes, p->hashes.v[i]);
	q->size = p->size > 0 ? p->size : 0;
	q->lock = 1;
	q->file = xstrdup(lockpath);
	q->line = p->line;
	wheel_name_free(&fn);
	return 0;
}

int
lockfile_read(struct reqs *rq, const char *path, const struct taglist *tags,
    const struct strv *extras, const struct strv *groups)
{
	struct pylock_opts	 o;
	struct pylock		 l;
	struct toml_value	*doc;
	char			*text;
	size_t			 i, len;
	int			 bad = 0;

	if (read_file(path, TOML_MAX_SIZE, &text, &len) != 0) {
		strv_push_owned(&rq->errors, xstrdup(err_get()));
		return -1;
	}
	doc = toml_parse(text, len, path);
	free(text);
	if (doc == NULL) {
		strv_push_owned(&rq->errors, xstrdup(err_get()));
		return -1;
	}
	o.env = rq->env;
	o.tags = tags;
	o.extras = extras;
	o.groups = groups;
	if (pylock_select(path, doc, &o, &l) != 0) {
		strv_push_owned(&rq->errors, xstrdup(err_get()));
		toml_free(doc);
		return -1;
	}
	for (i = 0; i < l.warnings.n; i++)
		warn_msg("%s", l.warnings.v[i]);
	for (i = 0; i < l.n; i++)
		if (add_pick(rq, path, &l.v[i]) != 0)
			bad = 1;
	pylock_free(&l);
	toml_free(doc);
	return bad ? -1 : 0;
}

/* PEP 751 names hashes as hashlib does ("sha3_256", "blake2b"); OpenSSL
 * spells some of them differently. */
static const EVP_MD *
digest_by_name(const char *name, size_t len)
{
	static const struct {
		const char	*lock, *ossl;
	} alias[] = {
		{ "blake2b", "BLAKE2b512" }, { "blake2s", "BLAKE2s256" },
	};
	char	 buf[64];
	size_t	 i;

	if (len == 0 || len >= sizeof(buf))
		return NULL;
	for (i = 0; i < len; i++)
		buf[i] = name[i] == '_' ? '-' : name[i];
	buf[len] = '\0';
	for (i = 0; i < ARRAY_SIZE(alias); i++)
		if (strcasecmp(buf, alias[i].lock) == 0)
			return EVP_get_digestbyname(alias[i].ossl);
	/* A digest of variable length (shake) needs a length PEP 751 does
	 * not give: not usable. */
	if (strncasecmp(buf, "shake", 5) == 0)
		return NULL;
	return EVP_get_digestbyname(buf);
}

struct check {
	const char	*want;		/* hex, after the colon */
	const char	*spec;		/* "algorithm:hex" */
	EVP_MD_CTX	*ctx;
};

static int
hex_equal(const unsigned char *md, unsigned int len, const char *hex)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned int		 i;

	if (strlen(hex) != 2 * (size_t)len)
		return 0;
	for (i = 0; i < len; i++)
		if (tolower((unsigned char)hex[2 * i]) != digits[md[i] >> 4] ||
		    tolower((unsigned char)hex[2 * i + 1]) != digits[md[i] & 15])
			return 0;
	return 1;
}

/* Feed every check the whole file from offset 0 with pread(2): the
 * descriptor's offset, shared with the workers, is not moved. */
static int
hash_fd(int fd, const char *name, struct check *c, size_t n, uint64_t *total)
{
	static unsigned char	 b[1 << 16];
	ssize_t			 r;
	size_t			 i;

	*total = 0;
	for (;;) {
		if (sig_stop)
			return err_set("%s: %s", name, strerror(EINTR));
		if ((r = pread(fd, b, sizeof(b), (off_t)*total)) < 0) {
			if (errno == EINTR)
				continue;
			return err_set("%s: %s", name, strerror(errno));
		}
		if (r == 0)
			return 0;
		*total += (uint64_t)r;
		for (i = 0; i < n; i++)
			if (EVP_DigestUpdate(c[i].ctx, b, (size_t)r) != 1)
				return err_set("%s: cannot hash", name);
	}
}

int
lockfile_verify(int fd, const char *path, int64_t size,
    const struct strv *hashes)
{
	struct check	 c[LOCK_MAX_HASHES];
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	uint64_t	 total;
	const EVP_MD	*md_type;
	const char	*colon;
	size_t		 i, n = 0;
	int		 rc = -1;

	for (i = 0; i < hashes->n && n < ARRAY_SIZE(c); i++) {
		colon = strchr(hashes->v[i], ':');
		if (colon == NULL || (md_type = digest_by_name(hashes->v[i],
		    (size_t)(colon - hashes->v[i]))) == NULL)
			continue;
		c[n].want = colon + 1;
		c[n].spec = hashes->v[i];
		if ((c[n].ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(c[n].ctx, md_type, NULL) != 1) {
			EVP_MD_CTX_free(c[n].ctx);
			err_set("%s: cannot hash", path);
			goto out;
		}
		n++;
	}
	if (n == 0) {
		err_set("%s: key 'hashes': no algorithm forklift knows (%s)",
		    path_base(path), hashes->n ? hashes->v[0] : "none given");
		goto out;
	}
	if (hash_fd(fd, path, c, n, &total) != 0)
		goto out;
	if (size >= 0 && total != (uint64_t)size) {
		err_set("%s: size mismatch: key 'size' says %lld bytes, the "
		    "file has %llu", path_base(path), (long long)size,
		    (unsigned long long)total);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (EVP_DigestFinal_ex(c[i].ctx, md, &mdlen) != 1) {
			err_set("%s: cannot hash", path);
			goto out;
		}
		if (!hex_equal(md, mdlen, c[i].want)) {
			err_set("%s: hash mismatch: key 'hashes' says %s", path_base(path),
			    c[i].spec);
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		EVP_MD_CTX_free(c[i].ctx);
	return rc;
}
