/* The one interface every backend implements. The backend knows devices and audio I/O, nothing of
 * COM, mixing, volume or formats beyond describing what the device runs. */
#ifndef MMDEVAPI_BACKEND_H
#define MMDEVAPI_BACKEND_H

#include "mmdevapi_unix.h"

struct backend_ops
{
    const char *name;
    /* Whether the backend can serve this process now (a server answers, the library loads). */
    BOOL (*probe)(void);
    /* Writes up to capacity endpoints of one flow and the index of the default one
     * (MMDEVAPI_NO_DEFAULT if none); returns how many it wrote. */
    UINT32 (*list_endpoints)(enum mmdevapi_flow flow, struct endpoint_info *endpoints, UINT32 capacity,
                             UINT32 *default_index);
};

#ifdef HAVE_PULSE
extern const struct backend_ops pulse_backend;
#endif
#ifdef HAVE_ALSA
extern const struct backend_ops alsa_backend;
#endif

/* Helpers the backends share to describe an endpoint. */
void endpoint_set_text(char *dst, size_t size, const char *src);
UINT32 endpoint_default_channel_mask(UINT32 channels);

#endif
