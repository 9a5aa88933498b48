/* What every backend shares: describing endpoints the same way, waiting the same way. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <windef.h>

#include "backend.h"

/* Copies a backend's string, truncated at a character boundary of UTF-8 and always terminated. */
void endpoint_set_text(char *dst, size_t size, const char *src)
{
    size_t len = src ? strlen(src) : 0;

    if (len >= size)
    {
        len = size - 1;
        while (len && ((unsigned char)src[len] & 0xc0) == 0x80) len--;
    }
    memcpy(dst, src ? src : "", len);
    dst[len] = 0;
}

int backend_poll(struct pollfd *fds, unsigned long count, INT64 timeout_ns)
{
    struct timespec timeout = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
    int ret;

    ret = ppoll(fds, count, timeout_ns >= 0 ? &timeout : NULL, NULL);
    /* A signal (Wine sends some) ends the wait early; the caller's schedule decides what next. */
    return ret < 0 && errno == EINTR ? 0 : ret;
}
