/* err.c - formatting of struct sl_err. */
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sl_err_set(struct sl_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

int sl_code_from_errno(int errnum)
{
	switch (errnum) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return SL_ENOSPC;
	case ENOENT:
	case ENOTDIR:
		return SL_ENOENT;
	case EEXIST:
		return SL_EEXIST;
	case EACCES:
	case EPERM:
	case EROFS:
		return SL_EPERM;
	case ENOMEM:
		return SL_ENOMEM;
	case EWOULDBLOCK:
		return SL_EBUSY;
	default:
		return SL_EIO;
	}
}

int sl_err_errno(struct sl_err *err, int errnum, const char *fmt, ...)
{
	int code = sl_code_from_errno(errnum);
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < sizeof(err->msg))
			snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum));
		err->code = code;
	}
	return code;
}

int sl_err_prefix(struct sl_err *err, const char *fmt, ...)
{
	if (!err)
		return SL_EINVAL;
	char ctx[SL_ERR_MSG_MAX], old[SL_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* truncation is fine here: the message is for people, and its start matters most */
	size_t cap = sizeof(err->msg), n = strnlen(ctx, cap - 3);
	memcpy(err->msg, ctx, n);
	memcpy(err->msg + n, ": ", 2);
	size_t m = strnlen(old, cap - n - 3);
	memcpy(err->msg + n + 2, old, m);
	err->msg[n + 2 + m] = '\0';
	return err->code;
}

const char *sl_code_name(int code)
{
	switch (code) {
	case SL_OK: return "ok";
	case SL_EUSAGE: return "usage";
	case SL_EIO: return "io";
	case SL_ENOSPC: return "no-space";
	case SL_ENOENT: return "not-found";
	case SL_EEXIST: return "exists";
	case SL_EKEY: return "invalid-key";
	case SL_ECONFIG: return "config";
	case SL_EMETA: return "metadata";
	case SL_ENOLAKE: return "no-lake";
	case SL_ECORRUPT: return "corrupt";
	case SL_EBUSY: return "busy";
	case SL_ENOMEM: return "no-memory";
	case SL_ESTALE: return "stale";
	case SL_ELIMIT: return "limit";
	case SL_EPERM: return "permission";
	case SL_EINVAL: return "invalid";
	default: return "unknown";
	}
}
