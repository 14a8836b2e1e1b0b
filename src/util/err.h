/*
 * err.h - the one error type of sluice.
 *
 * Every fallible function returns 0 on success or a negative SL_E* code, and fills a
 * caller-provided struct sl_err with a message that says what failed and where
 * ("landing/orders/a.json: no space left on device"). A NULL err is allowed: the code is
 * still returned, the message dropped.
 */
#ifndef SL_ERR_H
#define SL_ERR_H

#include <stdarg.h>

enum sl_code {
	SL_OK = 0,
	SL_EUSAGE = -1,    /* bad command line or argument */
	SL_EIO = -2,       /* an I/O call failed */
	SL_ENOSPC = -3,    /* no space left (disk or quota) */
	SL_ENOENT = -4,    /* object, queue, file or lake not found */
	SL_EEXIST = -5,    /* already exists */
	SL_EKEY = -6,      /* invalid object key or zone */
	SL_ECONFIG = -7,   /* invalid configuration */
	SL_EMETA = -8,     /* metadata store failure */
	SL_ENOLAKE = -9,   /* no initialised lake at the given place */
	SL_ECORRUPT = -10, /* stored data disagrees with itself */
	SL_EBUSY = -11,    /* locked by another process */
	SL_ENOMEM = -12,   /* out of memory */
	SL_ESTALE = -13,   /* receipt handle no longer valid */
	SL_ELIMIT = -14,   /* a configured limit was exceeded */
	SL_EPERM = -15,    /* permission denied */
	SL_EINVAL = -16,   /* invalid argument to an API call */
};

#define SL_ERR_MSG_MAX 1024

struct sl_err {
	int code;
	char msg[SL_ERR_MSG_MAX];
};

/* Sets err (if not NULL) and returns code, so that `return sl_err_set(...)` reads well. */
int sl_err_set(struct sl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Maps errno to a code, appends ": strerror(errnum)" to the formatted message. */
int sl_err_errno(struct sl_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context: "ctx: old message". */
int sl_err_prefix(struct sl_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int sl_code_from_errno(int errnum);
const char *sl_code_name(int code);

#endif
