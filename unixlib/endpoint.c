/* What every backend shares: describing endpoints the same way, waiting the same way. */
#define _GNU_SOURCE
#define USE_WS_PREFIX   /* Wine's winsock.h, through mmdeviceapi.h, beside glibc's timeval */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <windef.h>
#include <winbase.h>
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <mmdeviceapi.h>

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

UINT32 endpoint_form_factor(const char *name, enum mmdevapi_flow flow)
{
    static const struct { const char *name; UINT32 form_factor; } form_factors[] =
    {
        { "speaker", Speakers },
        { "headphone", Headphones },
        { "headset", Headset },
        { "handset", Handset },
        { "microphone", Microphone },
        { "webcam", Microphone },
    };
    size_t i;

    if (name)
        for (i = 0; i < ARRAY_SIZE(form_factors); i++)
            if (!strcmp(name, form_factors[i].name)) return form_factors[i].form_factor;
    return flow == MMDEVAPI_RENDER ? Speakers : Microphone;
}

void backend_process_name(char *name, size_t size)
{
    FILE *file = fopen("/proc/self/comm", "r");

    if (!file || !fgets(name, size, file)) endpoint_set_text(name, size, "Wine");
    name[strcspn(name, "\n")] = 0;
    if (file) fclose(file);
}

int backend_poll(struct pollfd *fds, unsigned long count, INT64 timeout_ns)
{
    struct timespec timeout = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
    int ret;

    ret = ppoll(fds, count, timeout_ns >= 0 ? &timeout : NULL, NULL);
    /* A signal (Wine sends some) ends the wait early; the caller's schedule decides what next. */
    return ret < 0 && errno == EINTR ? 0 : ret;
}
