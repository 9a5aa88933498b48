/* The capture engine of one endpoint: its thread reads the device a period at a time and hands
 * every started stream whole packets of one period, converted into the program's format, with
 * the position and time of each packet's first frame. Loopback is a capture engine on a render
 * endpoint, recording what the endpoint plays (MMDEVAPI_LOOPBACK). */
#ifndef MMDEVAPI_CAPTURE_H
#define MMDEVAPI_CAPTURE_H

#include "backend.h"
#include "mmdevapi_ring.h"

struct capture_engine;
struct capture_stream;

/* flow: MMDEVAPI_CAPTURE, MMDEVAPI_LOOPBACK or MMDEVAPI_PROCESS_LOOPBACK (of target's process tree,
 * or with exclude of all but it: E_NOTIMPL where the backend cannot); format: the endpoint's, as
 * for engine_create. */
HRESULT capture_engine_create(const struct backend_ops *backend, const char *key, enum mmdevapi_flow flow,
                              const struct endpoint_format *format, UINT32 target, BOOL exclude,
                              struct capture_engine **engine);
UINT32 capture_engine_period(const struct capture_engine *engine);
/* IAudioMeterInformation of a capture endpoint: the peaks of the last period read, per channel, into
 * peaks (MMDEVAPI_MAX_CHANNELS); returns the channel count. */
UINT32 capture_engine_read_peaks(struct capture_engine *engine, float *peaks);
/* The engine thread's and the signalling thread's lives, as engine_run and engine_signal_run. */
HRESULT capture_engine_run(struct capture_engine *engine);
HRESULT capture_engine_signal_run(struct capture_engine *engine);
/* As engine_device_gone. */
void capture_engine_device_gone(struct capture_engine *engine);

/* Called by the render engine of key with each period it mixed, under its lock: a loopback engine
 * of the same endpoint on a backend without a monitor records it. *loopback caches the engine
 * found (NULL at first); costs nothing while no loopback engine exists. */
void capture_loopback_mix(struct capture_engine **loopback, const char *key, const float *mix, UINT32 frames);

/* buffer_frames: what the program asked, in its frames; the ring holds a whole number of packets,
 * ten at least (shared->buffer_frames says how many frames). */
HRESULT capture_stream_create(struct capture_engine *engine, const struct endpoint_format *format,
                              UINT32 buffer_frames, struct capture_stream **stream);
struct stream_shared *capture_stream_shared(const struct capture_stream *stream);
void capture_stream_release(struct capture_stream *stream);
HRESULT capture_stream_start(struct capture_stream *stream);
HRESULT capture_stream_stop(struct capture_stream *stream);
HRESULT capture_stream_reset(struct capture_stream *stream);
HRESULT capture_stream_set_event(struct capture_stream *stream, HANDLE event);
/* As engine_stream_move: the program's default capture endpoint changed. */
HRESULT capture_stream_move(struct capture_stream *stream, struct capture_engine *to);

#endif
