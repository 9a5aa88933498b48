/* The engine of one endpoint: its thread mixes every started stream into one backend stream,
 * a period at a time, and keeps each stream's clock from what the device has really played. */
#ifndef MMDEVAPI_ENGINE_H
#define MMDEVAPI_ENGINE_H

#include "backend.h"
#include "mmdevapi_ring.h"

struct engine;
struct engine_stream;

HRESULT engine_create(const struct backend_ops *backend, const char *key, enum mmdevapi_flow flow,
                      const struct endpoint_format *format, struct engine **engine);
UINT32 engine_default_period(const struct engine *engine);
UINT32 engine_min_period(const struct engine *engine);
UINT32 engine_current_period(struct engine *engine);
/* IAudioMeterInformation: the peaks of the last period mixed, per channel, into peaks
 * (MMDEVAPI_MAX_CHANNELS); returns the mix's channel count. */
UINT32 engine_read_peaks(struct engine *engine, float *peaks);
/* The engine thread's life: returns only when the engine cannot go on. */
HRESULT engine_run(struct engine *engine);
/* The signalling thread's life: sets the programs' events when the engine thread says a period
 * passed. NtSetEvent waits for the wineserver, which a busy machine may keep for many ms; the
 * engine thread must not. */
HRESULT engine_signal_run(struct engine *engine);
/* The endpoint went away (the PE side learnt it from the backend's watch): its streams are
 * invalidated even where the server moved the device's stream elsewhere, as Windows does. */
void engine_device_gone(struct engine *engine);

/* NtAllocateVirtualMemory's zero_bits for the memory both halves map (the streams' rings): set by
 * unixlib/wow64.c for a 32-bit program, whose pointers reach only the low 2 GiB. */
extern ULONG_PTR engine_shared_zero_bits;

/* Where a new stream's counters start: 0, as on Windows, or the frames the debug setting
 * MMDEVAPI_DEBUG_POSITION_START names, so that tests reach positions past 2^32 frames (and 2^31
 * bytes) without playing for a day. The ring's indices start at the multiple of ring_frames below. */
UINT64 engine_position_origin(void);
UINT64 engine_ring_origin(UINT64 origin, UINT32 ring_frames);

/* period_frames: the period the program wants, in device frames; 0 for the default. */
HRESULT engine_stream_create(struct engine *engine, const struct endpoint_format *format, UINT32 flags,
                             UINT32 buffer_frames, UINT32 period_frames, struct engine_stream **stream);
struct stream_shared *engine_stream_shared(const struct engine_stream *stream);
void engine_stream_release(struct engine_stream *stream);
HRESULT engine_stream_start(struct engine_stream *stream);
HRESULT engine_stream_stop(struct engine_stream *stream);
HRESULT engine_stream_reset(struct engine_stream *stream);
HRESULT engine_stream_move(struct engine_stream *stream, struct engine *to);
HRESULT engine_stream_set_event(struct engine_stream *stream, HANDLE event);
HRESULT engine_stream_set_rate(struct engine_stream *stream, UINT64 rate_millihz);
/* A stream's gains for this period, per channel of the stream (IAudioStreamVolume x the session's
 * volume, mute and channel volumes), sanitized: the program writes them. Capture applies them too. */
void engine_stream_gains(const struct stream_shared *shared, UINT32 channels, float *gains);

#endif
