/*
 * proto.h: the whole protocol between the parent and its workers.  Each
 * worker has one pipe to the parent; every message is one frame written
 * with one write(2) (a few frames may share it, PIPE_BUF bytes in all): a
 * fixed header {type, len} and a payload of at most
 * PROTO_MAX_PAYLOAD bytes, so a frame never exceeds PIPE_BUF and frames of
 * one worker never interleave.  The receiver checks each payload's size
 * against its type (proto_valid); an unknown type or a bad size is a
 * protocol error and fails the worker.
 *
 *   START(wheel)               a worker begins a wheel
 *   DONE(wheel, cached, files, bytes)  the wheel is staged completely
 *   FAIL(wheel, text)          the wheel failed; text names the member
 *   WARN(wheel, text)          a warning to print (the parent owns stderr)
 *   BYE(count)                 the worker finished its share of count wheels
 *   REPORT(item, text)         one line of a command's findings about item
 *                              (verify: a modified, missing or unlisted file)
 *   SANDBOX(nr)                the worker's seccomp filter denied system
 *                              call nr (sent from its SIGSYS handler,
 *                              sandbox.c); the run fails
 */
#ifndef FORKLIFT_PROTO_H
#define FORKLIFT_PROTO_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PROTO_VERSION		1
#define PROTO_MAX_FRAME		PIPE_BUF
#define PROTO_MAX_PAYLOAD	(PROTO_MAX_FRAME - sizeof(struct proto_hdr))

enum proto_type {
	MSG_START = 1,
	MSG_DONE,
	MSG_FAIL,
	MSG_WARN,
	MSG_BYE,
	MSG_REPORT,
	MSG_SANDBOX,
};

struct proto_hdr {
	uint32_t	type;
	uint32_t	len;		/* payload bytes after the header */
};

struct msg_start {
	uint32_t	wheel;
};

struct msg_done {
	uint32_t	wheel;
	uint32_t	cached;		/* nonzero: served from the cache */
	uint64_t	files;
	uint64_t	bytes;
};

/* FAIL, WARN and REPORT: a wheel (item) index, then text (not
 * NUL-terminated). */
struct msg_text {
	uint32_t	wheel;
	char		text[];
};

struct msg_bye {
	uint32_t	count;
};

struct msg_sandbox {
	uint32_t	nr;		/* system call number (native arch) */
};

/* Is len a valid payload size for type? */
static inline int
proto_valid(uint32_t type, uint32_t len)
{
	switch (type) {
	case MSG_START:
		return len == sizeof(struct msg_start);
	case MSG_DONE:
		return len == sizeof(struct msg_done);
	case MSG_FAIL:
	case MSG_WARN:
	case MSG_REPORT:
		return len >= sizeof(struct msg_text) && len <= PROTO_MAX_PAYLOAD;
	case MSG_BYE:
		return len == sizeof(struct msg_bye);
	case MSG_SANDBOX:
		return len == sizeof(struct msg_sandbox);
	default:
		return 0;
	}
}

const char *proto_type_name(uint32_t);

/* Send one frame with one write(2); payload longer than the maximum is an
 * error (text messages are cut by proto_send_text).  0 or -1 (errno). */
int	 proto_send(int fd, uint32_t type, const void *payload, uint32_t len);
/* FAIL or WARN with text cut to fit one frame. */
int	 proto_send_text(int fd, uint32_t type, uint32_t wheel, const char *text);
/* Frames sent together: proto_put appends one to buf (PROTO_MAX_FRAME
 * bytes, *used of them taken), -1 (EMSGSIZE) when it does not fit;
 * proto_write sends them with one write(2), atomic as one frame is.
 * 0 or -1 (errno). */
int	 proto_put(unsigned char *buf, size_t *used, uint32_t type,
	    const void *payload, uint32_t len);
int	 proto_write(int fd, const unsigned char *buf, size_t len);

#endif
