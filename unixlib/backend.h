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
    /* Capture streams (flow MMDEVAPI_CAPTURE: a capture endpoint's key; MMDEVAPI_LOOPBACK: a render
     * endpoint's key, recording what the endpoint plays, its sink's monitor; E_NOTIMPL where the
     * backend has none) record from stream_start to stream_stop, which drops what was captured
     * and not read; *lead_frames is 0. For them stream_delay's *frames counts the frames captured
     * and not yet read, measured now (the newest of them was captured now, the oldest *frames /
     * rate ago) and *room, of those, the frames a stream_read takes now; stream_wait serves the
     * device as for playback. A device without a clock (a null PCM) may have any number ready:
     * the engine reads at most what real time allows. */
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
    /* Capture: takes the count oldest frames captured and not yet taken, count at most what
     * stream_delay's *room said. NULL in a backend that cannot capture. */
    HRESULT (*stream_read)(struct backend_stream *stream, float *frames, UINT32 count);

    /* The endpoint's own volume and mute, as the system's mixer holds them (IAudioEndpointVolume):
     * a PulseAudio sink's or source's, an ALSA card's mixer control; levels on the cubic scale
     * of struct endpoint_volume, one per channel of the endpoint. Called from any thread, at any
     * time, with or without an open stream: each call connects or opens what it needs.
     * E_NOTIMPL (or NULL here) where the device has no control of its own: then the engine's
     * gain stands in. A set gives exactly the endpoint's channel count (a get's). PipeWire: the
     * sink or source node's SPA_PARAM_Props (channelVolumes, the cube of these levels, and mute). */
    HRESULT (*volume_get)(const char *key, enum mmdevapi_flow flow, struct endpoint_volume *volume);
    HRESULT (*volume_set)(const char *key, enum mmdevapi_flow flow, const struct endpoint_volume *volume);
    /* Returns S_OK as soon as something may have changed, with *changes saying what
     * (MMDEVAPI_CHANGED_*): any endpoint's volume or mute, by us or anyone else (the desktop's
     * mixer, pactl, amixer); an endpoint added or removed, or another default. S_FALSE once
     * timeout_ns passed (negative: none); a failure when it cannot watch now (the caller waits a
     * while before asking again). Only our watch thread, a Wine thread, calls it: it may keep a
     * connection from one call to the next. A backend should answer within a few ms of the
     * change: IAudioEndpointVolumeCallback's OnNotify and IMMNotificationClient's calls must
     * reach the program within 100 ms. */
    HRESULT (*watch)(INT64 timeout_ns, UINT32 *changes);
    /* Other processes' streams on the endpoint, one entry a process (IAudioSessionEnumerator
     * lists them as sessions), up to capacity; returns how many. This process's own are left out.
     * Called from any Wine thread. NULL where the backend cannot tell whose a stream is. */
    UINT32 (*list_sessions)(const char *key, enum mmdevapi_flow flow, struct endpoint_session *sessions,
                            UINT32 capacity);
    /* Sets the volume (amplitude 0..1) and mute of every stream of process_id (Unix) on the
     * endpoint. S_OK also where it has none left. */
    HRESULT (*set_session_volume)(const char *key, enum mmdevapi_flow flow, UINT32 process_id, float volume,
                                  BOOL mute);
    /* Process loopback: a capture stream, as stream_open's for MMDEVAPI_LOOPBACK, of what the render
     * endpoint key plays from the streams of the Windows process process_id and its descendants
     * (exclude: from every other stream, other programs' included), whichever of them come and go
     * while it records. NULL where the backend cannot tell whose a stream is. */
    HRESULT (*process_stream_open)(const char *key, const struct endpoint_format *format, UINT32 period_frames,
                                   UINT32 process_id, BOOL exclude, struct backend_stream **stream);
};

#ifdef HAVE_PIPEWIRE
extern const struct backend_ops pipewire_backend;
#endif
#ifdef HAVE_PULSE
extern const struct backend_ops pulse_backend;
#endif
#ifdef HAVE_ALSA
extern const struct backend_ops alsa_backend;
#endif

/* Copies a backend's string, cut at a UTF-8 character boundary and always terminated. */
void endpoint_set_text(char *dst, size_t size, const char *src);
/* Windows' EndpointFormFactor of a device's form factor as PulseAudio and PipeWire name it
 * (device.form_factor, device.form-factor: "speaker", "headset"...; NULL: the flow's usual one). */
UINT32 endpoint_form_factor(const char *name, enum mmdevapi_flow flow);
/* The process's name as Wine set it (the Windows program's), where the PE side gave none. */
void backend_process_name(char *name, size_t size);
/* The program as the PE side last described it (unix_set_program), for the properties of backend
 * streams that the desktop's mixer lists: the name people read, UTF-8 (empty if not given yet),
 * and the Windows process id (0 if not given). */
void backend_program(char *name, size_t size, UINT32 *process_id);
/* The Windows ids of the program's ancestors as the PE side last gave them (unix_set_program), up
 * to capacity; returns how many. */
UINT32 backend_program_ancestors(UINT32 *ancestors, UINT32 capacity);
struct pollfd;
/* poll() to the nanosecond (negative: no timeout); 0 when a signal interrupted it. */
int backend_poll(struct pollfd *fds, unsigned long count, INT64 timeout_ns);

#endif
