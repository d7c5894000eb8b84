/*
 * bare-unpack.c: the bare-work reference of scripts/bench.
 *
 * It does only the work no wheel installer can avoid: every member of
 * every given wheel is inflated, SHA-256-hashed and written to a file
 * under OUTDIR, by N forked processes that share the wheels the way
 * forklift does (largest file first, each to the process with the fewest
 * bytes so far).  No RECORD is read or written, nothing is checked,
 * staged or committed, and the digests are thrown away; the time it takes
 * is the practical floor for an installer on the same machine.  Each
 * process writes under OUTDIR/<process number>/, so the processes never
 * meet in one directory; wheels of one process share its tree, as they
 * would share site-packages.
 *
 * It reads the way a straightforward libzip program does: zip_open() on
 * the file (libzip's stdio source: a few lseek(2) and 4 KiB reads per
 * member, and a stat of /etc/localtime per member from mktime() when TZ
 * is unset) and zip_fread() through zlib in 256 KiB chunks.  An installer
 * with better I/O (the archive mapped into memory, whole-member inflation,
 * fewer syscalls) can therefore beat it.
 *
 * It is a measuring tool, not part of forklift: it trusts its input and
 * must never be pointed at archives that are not the bench's own.
 *
 * Build: cc -O2 -o bare-unpack bare-unpack.c \
 *            $(pkg-config --cflags --libs libzip libcrypto)
 * Usage: bare-unpack [-j N] OUTDIR WHEEL...
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zip.h>

#define CHUNK	(256 * 1024)

struct job {
	const char	*path;
	off_t		 size;
	int		 owner;
};

static const char	*prog = "bare-unpack";

static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int
cmp_size_desc(const void *a, const void *b)
{
	const struct job	*x = *(struct job *const *)a;
	const struct job	*y = *(struct job *const *)b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x < y ? -1 : x > y;
}

/* Largest first, each to the process with the fewest bytes so far. */
static void
partition(struct job *jobs, int n, int nproc)
{
	struct job	**order;
	off_t		 *load;
	int		  i, p, best;

	order = calloc(n, sizeof(*order));
	load = calloc(nproc, sizeof(*load));
	if (order == NULL || load == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++)
		order[i] = &jobs[i];
	qsort(order, n, sizeof(*order), cmp_size_desc);
	for (i = 0; i < n; i++) {
		for (best = 0, p = 1; p < nproc; p++)
			if (load[p] < load[best])
				best = p;
		order[i]->owner = best;
		load[best] += order[i]->size;
	}
	free(order);
	free(load);
}

/*
 * The directory of the last member stays open: members of one directory
 * are usually next to each other in a wheel, so most files are created
 * with one openat() and no path walk.
 */
struct dir {
	int	 root;
	int	 fd;
	char	 path[PATH_MAX];
};

/* mkdir -p relative to root: the directory itself first, its parents
 * only if they are missing too. */
static int
make_dir(int root, char *p)
{
	char	*s;

	if (mkdirat(root, p, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || (s = strrchr(p, '/')) == NULL)
		return -1;
	*s = '\0';
	if (make_dir(root, p) == -1)
		return -1;
	*s = '/';
	return mkdirat(root, p, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

static int
open_dir(struct dir *d, const char *name, size_t len)
{
	char	 p[PATH_MAX];

	if (d->fd != -1 && strlen(d->path) == len &&
	    memcmp(d->path, name, len) == 0)
		return d->fd;
	if (d->fd != -1 && d->fd != d->root)
		close(d->fd);
	d->fd = -1;
	if (len >= sizeof(p))
		return -1;
	memcpy(p, name, len);
	p[len] = '\0';
	if (len == 0)
		d->fd = d->root;
	else if ((d->fd = openat(d->root, p, O_RDONLY | O_DIRECTORY)) == -1 &&
	    make_dir(d->root, p) == 0)
		d->fd = openat(d->root, p, O_RDONLY | O_DIRECTORY);
	if (d->fd == -1)
		return -1;
	memcpy(d->path, p, len + 1);
	return d->fd;
}

static void
unpack(const char *path, struct dir *d, unsigned char *chunk, EVP_MD_CTX *md)
{
	unsigned char	 digest[EVP_MAX_MD_SIZE];
	zip_t		*za;
	zip_file_t	*zf;
	zip_int64_t	 n, i, got;
	zip_uint32_t	 attr;
	zip_uint8_t	 os;
	const char	*name, *base;
	mode_t		 mode;
	int		 fd, dfd, err;

	if ((za = zip_open(path, ZIP_RDONLY, &err)) == NULL)
		fatal("%s: cannot open archive (libzip error %d)", path, err);
	n = zip_get_num_entries(za, 0);
	for (i = 0; i < n; i++) {
		name = zip_get_name(za, i, ZIP_FL_ENC_RAW);
		if (name == NULL || *name == '\0')
			fatal("%s: member %lld has no name", path, (long long)i);
		base = strrchr(name, '/');
		if (base != NULL && base[1] == '\0') {
			if (open_dir(d, name, strlen(name) - 1) == -1)
				fatal("%s: cannot create '%s'", path, name);
			continue;
		}
		if ((dfd = open_dir(d, name, base ? (size_t)(base - name) : 0)) == -1)
			fatal("%s: cannot create the directory of '%s'", path, name);
		base = base ? base + 1 : name;
		mode = 0644;
		if (zip_file_get_external_attributes(za, i, 0, &os, &attr) == 0 &&
		    os == ZIP_OPSYS_UNIX && (attr >> 16) & 0111)
			mode = 0755;
		if ((fd = openat(dfd, base, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, mode)) == -1)
			fatal("%s: cannot create '%s': %s", path, name,
			    strerror(errno));
		if ((zf = zip_fopen_index(za, i, 0)) == NULL)
			fatal("%s: cannot read '%s': %s", path, name,
			    zip_strerror(za));
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		while ((got = zip_fread(zf, chunk, CHUNK)) > 0) {
			EVP_DigestUpdate(md, chunk, got);
			if (write(fd, chunk, got) != got)
				fatal("%s: cannot write '%s'", path, name);
		}
		if (got < 0)
			fatal("%s: cannot read '%s': %s", path, name,
			    zip_file_strerror(zf));
		EVP_DigestFinal_ex(md, digest, NULL);
		zip_fclose(zf);
		if (close(fd) == -1)
			fatal("%s: cannot write '%s'", path, name);
	}
	zip_discard(za);
}

static void
work(struct job *jobs, int n, int me, const char *outdir)
{
	unsigned char	*chunk;
	EVP_MD_CTX	*md;
	struct dir	 d;
	char		 mine[32];
	int		 i;

	snprintf(mine, sizeof(mine), "%d", me);
	if ((d.root = open(outdir, O_RDONLY | O_DIRECTORY)) == -1)
		fatal("%s: %s", outdir, strerror(errno));
	if (mkdirat(d.root, mine, 0755) == -1 && errno != EEXIST)
		fatal("%s/%s: %s", outdir, mine, strerror(errno));
	if ((i = openat(d.root, mine, O_RDONLY | O_DIRECTORY)) == -1)
		fatal("%s/%s: %s", outdir, mine, strerror(errno));
	close(d.root);
	d.root = i;
	d.fd = -1;
	d.path[0] = '\0';
	if ((chunk = malloc(CHUNK)) == NULL || (md = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++)
		if (jobs[i].owner == me)
			unpack(jobs[i].path, &d, chunk, md);
	EVP_MD_CTX_free(md);
	free(chunk);
}

int
main(int argc, char **argv)
{
	struct job	*jobs;
	struct stat	 st;
	pid_t		 pid;
	char		*end;
	long		 nproc = sysconf(_SC_NPROCESSORS_ONLN);
	int		 c, i, n, status, failed = 0;

	while ((c = getopt(argc, argv, "j:")) != -1) {
		switch (c) {
		case 'j':
			nproc = strtol(optarg, &end, 10);
			if (*end != '\0' || nproc < 1 || nproc > 1024)
				fatal("-j: '%s' is not a number from 1 to 1024",
				    optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-j N] OUTDIR WHEEL...\n", prog);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		fprintf(stderr, "usage: %s [-j N] OUTDIR WHEEL...\n", prog);
		return 2;
	}
	if (nproc < 1)
		nproc = 1;
	n = argc - 1;
	if ((jobs = calloc(n, sizeof(*jobs))) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++) {
		if (stat(argv[i + 1], &st) == -1)
			fatal("%s: %s", argv[i + 1], strerror(errno));
		jobs[i].path = argv[i + 1];
		jobs[i].size = st.st_size;
	}
	if (nproc > n)
		nproc = n;
	partition(jobs, n, (int)nproc);
	fflush(NULL);
	for (i = 0; i < nproc; i++) {
		if ((pid = fork()) == -1)
			fatal("fork: %s", strerror(errno));
		if (pid == 0) {
			work(jobs, n, i, argv[0]);
			_exit(0);
		}
	}
	while ((pid = wait(&status)) != -1 || errno == EINTR)
		if (pid != -1 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			failed = 1;
	free(jobs);
	return failed;
}
