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
     * channels, channel_mask; bits 32, float). The engine mixes period_frames at a time. *lead_frames:
     * what the device wants queued ahead of what it plays to play through its own scheduling (a
     * PipeWire quantum, a device period, a wake-up's slack), a multiple of the period: the engine
     * keeps that much written ahead of the play head, and writes it as silence before the first
     * period. The stream starts stopped. */
    HRESULT (*stream_open)(const char *key, enum mmdevapi_flow flow, const struct endpoint_format *format,
                           UINT32 period_frames, struct backend_stream **stream, UINT32 *lead_frames);
    void (*stream_close)(struct backend_stream *stream);
    /* Starts playing what was written (the engine writes its lead and first period before); a
     * backend that must may wait for them before the device runs. */
    HRESULT (*stream_start)(struct backend_stream *stream);
    /* Stops at once and drops what was queued; a later start plays from the next write. */
    HRESULT (*stream_stop)(struct backend_stream *stream);
    /* Waits until wake_fd is readable or timeout_ns passes (negative: no timeout), serving the
     * device meanwhile (a server's messages). The engine's schedule comes from the device's
     * position (stream_delay), not from here: devices ask for data in bursts, or not at all. */
    HRESULT (*stream_wait)(struct backend_stream *stream, int wake_fd, INT64 timeout_ns);
    /* Queues count frames; the device holds at least its lead plus two periods. */
    HRESULT (*stream_write)(struct backend_stream *stream, const float *frames, UINT32 count);
    /* Frames written since the last start that the listener has not heard yet (queued, in
     * flight, in the device), measured now; 0 while stopped. The engine's clock is frames
     * written minus this. *room (NULL: not asked): frames a write takes now. */
    HRESULT (*stream_delay)(struct backend_stream *stream, UINT64 *frames, UINT32 *room);
};

#ifdef HAVE_PULSE
extern const struct backend_ops pulse_backend;
#endif
#ifdef HAVE_ALSA
extern const struct backend_ops alsa_backend;
#endif

/* Copies a backend's string, cut at a UTF-8 character boundary and always terminated. */
void endpoint_set_text(char *dst, size_t size, const char *src);
struct pollfd;
/* poll() to the nanosecond (negative: no timeout); 0 when a signal interrupted it. */
int backend_poll(struct pollfd *fds, unsigned long count, INT64 timeout_ns);

#endif
