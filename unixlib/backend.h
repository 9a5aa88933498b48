/* The one interface every backend implements. The backend knows devices and audio I/O, nothing of
 * COM, mixing, volume or formats beyond describing what the device runs. */
#ifndef MMDEVAPI_BACKEND_H
#define MMDEVAPI_BACKEND_H

#include "mmdevapi_unix.h"

/* A backend's open stream on one endpoint: interleaved float32 frames at the endpoint's rate and
 * channel layout, driven by the engine thread (one per endpoint), which alone calls these. */
struct backend_stream;

struct backend_ops
{
    const char *name;
    /* Whether the backend can serve this process now (a server answers, the library loads). */
    BOOL (*probe)(void);
    /* Writes up to capacity endpoints of one flow and the index of the default one
     * (MMDEVAPI_NO_DEFAULT if none); returns how many it wrote. */
    UINT32 (*list_endpoints)(enum mmdevapi_flow flow, struct endpoint_info *endpoints, UINT32 capacity,
                             UINT32 *default_index);

    /* Opens the endpoint named key (an endpoint_info.key) for float32 frames in format (rate,
     * channels, channel_mask; bits 32, float). The engine mixes period_frames at a time. The stream
     * starts stopped. */
    HRESULT (*stream_open)(const char *key, enum mmdevapi_flow flow, const struct endpoint_format *format,
                           UINT32 period_frames, struct backend_stream **stream);
    void (*stream_close)(struct backend_stream *stream);
    /* Starts playing what was written (the engine writes its first periods before). */
    HRESULT (*stream_start)(struct backend_stream *stream);
    /* Stops at once and drops what was queued; a later start plays from the next write. */
    HRESULT (*stream_stop)(struct backend_stream *stream);
    /* Waits until the device wants a period, wake_fd is readable, or timeout_ms passes (-1: none).
     * *writable: frames to write now to keep the device at its target fill, whatever woke it (0
     * while stopped). The target is the backend's choice: enough to play through its own
     * scheduling (a PipeWire quantum plus one period), no more. A started stream still filling
     * returns at once with what is left to fill. */
    HRESULT (*stream_wait)(struct backend_stream *stream, int wake_fd, int timeout_ms, UINT32 *writable);
    HRESULT (*stream_write)(struct backend_stream *stream, const float *frames, UINT32 count);
    /* Frames written since the last start that the listener has not heard yet (queued, in
     * flight, in the device), measured now; 0 while stopped. The engine's clock is frames
     * written minus this. */
    HRESULT (*stream_delay)(struct backend_stream *stream, UINT64 *frames);
};

#ifdef HAVE_PULSE
extern const struct backend_ops pulse_backend;
#endif
#ifdef HAVE_ALSA
extern const struct backend_ops alsa_backend;
#endif

/* Copies a backend's string, cut at a UTF-8 character boundary and always terminated. */
void endpoint_set_text(char *dst, size_t size, const char *src);

#endif
