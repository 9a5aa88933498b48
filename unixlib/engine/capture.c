/* The capture engine: one thread per captured endpoint (a Wine thread living in unix_engine_run)
 * reads the device a period at a time, maps each period to every started stream's channels,
 * resamples it to the stream's rate and writes whole packets of one period, in the program's
 * format, into the stream's ring. The PE side hands the packets out (IAudioCaptureClient) without
 * a unix call or a lock of ours: each packet's position, time and flags sit beside it in the
 * shared memory, published with write_frames. A second Wine thread sets the programs' events,
 * as for render, so that this one never waits for the wineserver.
 *
 * A full ring keeps what it holds, as on Windows 10: the packets that do not fit are lost, the
 * position counts them, and the next packet written says AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY,
 * once. The first packet after Start carries no flag. Positions count on across Stop, Start and
 * Reset: Reset drops what the ring holds, and the frames are counted as captured. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winternl.h>
#include <winerror.h>
#include <audioclient.h>
#include <wine/debug.h>

#include "capture.h"
#include "engine.h"     /* engine_shared_zero_bits, engine_stream_gains */
#include "convert.h"
#include "channels.h"
#include "resample.h"
#include "endpoint_gain.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

#define CAPTURE_MAX_STREAMS 256
/* A device without a clock (alsa-lib's null or file PCM) has any number of frames ready: the
 * engine takes at most what real time allows, this much faster to follow a real device's drift. */
#define CAPTURE_PACE_TOLERANCE 0.002
/* Periods read back to back at most, after the thread woke late; the rest waits for the next turn. */
#define CAPTURE_CATCH_UP_PERIODS 8

struct capture_stream
{
    struct capture_engine *engine;
    struct stream_shared *shared;
    struct endpoint_format format;
    UINT32 frame_bytes;       /* our own copies: the shared memory is the program's to scribble on */
    UINT32 buffer_frames;
    UINT32 packet_frames;
    UINT32 packet_count;
    struct capture_packet *packets;
    HANDLE event;
    BOOL started;
    BOOL invalidated;

    UINT64 written;           /* ring frames published */
    UINT64 position;          /* the next packet's position: stream frames captured since Initialize */
    BOOL lost;                /* packets were lost to a full ring: the next one written says so */
    UINT64 last_qpc;          /* the last packet's time */
    UINT64 start_device;      /* the device frame the stream's first frame since Start came from */
    UINT64 since_start;       /* stream frames made into packets (or lost) since Start */

    convert_from_float_func from_float;
    struct channels_matrix matrix;
    struct resample *resampler;
    float *mapped;            /* a device period in the stream's channels */
    float *staged;            /* the stream's frames not yet a whole packet */
    UINT32 staged_frames, staged_max;
};

struct capture_engine
{
    pthread_mutex_t lock;
    const struct backend_ops *backend;
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    enum mmdevapi_flow flow;
    UINT32 target;            /* MMDEVAPI_PROCESS_LOOPBACK: the Windows process whose tree... */
    BOOL exclude;             /* ...is recorded, or everything but it */
    struct endpoint_format format;
    UINT32 period_frames;
    int wake_fd;
    int signal_fd;            /* wakes the signalling thread: packets were made */
    BOOL signal_due;
    pthread_mutex_t events_lock; /* held while the streams' event handles are set or closed */

    struct capture_stream *streams[CAPTURE_MAX_STREAMS];
    UINT32 stream_count;

    struct backend_stream *input;
    BOOL device_gone;         /* the endpoint went away: the engine's thread closes input, which it may be using */
    BOOL running;
    /* Loopback on a backend without a monitor (ALSA): the render engine of the same endpoint
     * feeds its mix through capture_loopback_mix, and no device is read. */
    BOOL mix_fed;
    struct capture_engine *next_loopback;
    UINT64 read;              /* device frames read since the engine began */
    UINT64 pace_start;        /* monotonic ns of the device's last start */
    UINT64 pace_read;         /* read at that start */
    UINT64 anchor_frames;     /* device frames captured by anchor_time, as last measured */
    UINT64 anchor_time;       /* in 100 ns units of QueryPerformanceCounter */
    float *period;            /* one device period */
    struct endpoint_gain *gain; /* a capture endpoint's volume where the engine applies it */
    struct endpoint_meter meter; /* the last period's peaks before that volume (IAudioMeterInformation) */
};

/* Every loopback engine, for the render engines to find theirs; never freed, as engines are not. */
static pthread_mutex_t loopbacks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct capture_engine *loopbacks;
static LONG loopback_count;

static UINT64 monotonic_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000ull + now.tv_nsec;
}

/* QueryPerformanceCounter now, in 100 ns units, as IAudioCaptureClient::GetBuffer gives it. */
static UINT64 qpc_100ns(void)
{
    LARGE_INTEGER counter, frequency;

    NtQueryPerformanceCounter(&counter, &frequency);
    return counter.QuadPart / frequency.QuadPart * 10000000
           + counter.QuadPart % frequency.QuadPart * 10000000 / frequency.QuadPart;
}

static void wake(int fd)
{
    UINT64 one = 1;

    if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        WINE_WARN("cannot wake a capture thread: %s\n", strerror(errno));
}

static void drain(int fd)
{
    UINT64 count;

    while (read(fd, &count, sizeof(count)) > 0) ;
}

/* When a device frame was captured, in 100 ns units, from the last measure of the device. */
static UINT64 device_frame_time(const struct capture_engine *engine, UINT64 frame)
{
    UINT64 ago = engine->anchor_frames > frame ? engine->anchor_frames - frame : 0;

    return engine->anchor_time - min(engine->anchor_time, ago * 10000000 / engine->format.rate);
}

HRESULT capture_engine_create(const struct backend_ops *backend, const char *key, enum mmdevapi_flow flow,
                              const struct endpoint_format *format, UINT32 target, BOOL exclude,
                              struct capture_engine **out)
{
    struct capture_engine *engine;

    if (!backend->stream_read || (flow == MMDEVAPI_PROCESS_LOOPBACK && !backend->process_stream_open))
        return E_NOTIMPL;
    if (!(engine = calloc(1, sizeof(*engine)))) return E_OUTOFMEMORY;
    pthread_mutex_init(&engine->lock, NULL);
    pthread_mutex_init(&engine->events_lock, NULL);
    engine->backend = backend;
    endpoint_set_text(engine->key, sizeof(engine->key), key);
    engine->flow = flow;
    engine->target = target;
    engine->exclude = exclude;
    engine->format = *format;
    engine->format.bits = engine->format.valid_bits = 32;
    engine->format.is_float = TRUE;
    /* Windows' 10 ms. */
    engine->period_frames = format->rate / 100;
    /* Loopback is what the render endpoint plays; the endpoint's volume is not the engine's there. */
    if (flow == MMDEVAPI_CAPTURE) engine->gain = endpoint_gain_get(key, flow);
    engine->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    engine->signal_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (engine->wake_fd < 0 || engine->signal_fd < 0
        || !(engine->period = calloc((size_t)engine->period_frames * format->channels, sizeof(float))))
    {
        if (engine->wake_fd >= 0) close(engine->wake_fd);
        if (engine->signal_fd >= 0) close(engine->signal_fd);
        free(engine);
        return E_OUTOFMEMORY;
    }
    if (flow == MMDEVAPI_LOOPBACK)
    {
        pthread_mutex_lock(&loopbacks_lock);
        engine->next_loopback = loopbacks;
        loopbacks = engine;
        __atomic_add_fetch(&loopback_count, 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&loopbacks_lock);
    }
    *out = engine;
    return S_OK;
}

UINT32 capture_engine_read_peaks(struct capture_engine *engine, float *peaks)
{
    endpoint_meter_read(&engine->meter, engine->format.channels, peaks);
    return engine->format.channels;
}

UINT32 capture_engine_period(const struct capture_engine *engine)
{
    return engine->period_frames;
}

/* Unlocks the engine and wakes the signalling thread if packets were made. */
static void capture_unlock(struct capture_engine *engine)
{
    BOOL due = engine->signal_due;

    engine->signal_due = FALSE;
    pthread_mutex_unlock(&engine->lock);
    if (due) wake(engine->signal_fd);
}

static void publish_clock(struct capture_stream *stream)
{
    struct stream_shared *shared = stream->shared;
    UINT32 seq = shared->clock.seq;
    UINT64 frequency = 10000000, device_frame, time, qpc;
    LARGE_INTEGER counter, ticks;

    device_frame = stream->start_device + stream->since_start * stream->engine->format.rate / stream->format.rate;
    NtQueryPerformanceCounter(&counter, &ticks);
    /* The clock's time is in QueryPerformanceCounter's own ticks. */
    time = device_frame_time(stream->engine, device_frame);
    qpc = time / frequency * ticks.QuadPart + time % frequency * ticks.QuadPart / frequency;
    /* A seqlock of relaxed atomics, as the render engine's (engine.c). */
    __atomic_store_n(&shared->clock.seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&shared->clock.qpc, qpc, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.running, stream->started, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.position, stream->position, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.limit, stream->position + stream->packet_frames, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.rate, stream->format.rate, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.seq, seq + 2, __ATOMIC_RELEASE);
}

/* Whether samples are all silence. A loopback packet of silence says so (AUDCLNT_BUFFERFLAGS_SILENT)
 * for programs that skip what they need not process; a microphone's packets do not (Windows' come
 * without flags in Wine's tests, and a null source's zeros are data). */
static BOOL is_silence(const float *samples, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++)
        if (samples[i] != 0.0f) return FALSE;
    return TRUE;
}

/* Writes the packet at the head of the staging area into the ring, or counts it lost if the ring
 * is full. Called with the lock. */
static void emit_packet(struct capture_stream *stream)
{
    struct capture_engine *engine = stream->engine;
    UINT64 read = __atomic_load_n(&stream->shared->read_frames, __ATOMIC_ACQUIRE), device_frame;
    struct capture_packet *packet;
    UINT32 frames = stream->packet_frames;

    /* A read index from beyond what was written is the program's scribble: the ring reads as full. */
    if (read > stream->written) read = stream->written - min(stream->written, (UINT64)stream->buffer_frames);
    if (stream->written - read + frames <= stream->buffer_frames)
    {
        device_frame = stream->start_device + stream->since_start * engine->format.rate / stream->format.rate;
        stream->from_float(stream->staged, stream->shared->data + (size_t)(stream->written % stream->buffer_frames)
                           * stream->frame_bytes, (size_t)frames * stream->format.channels);
        packet = &stream->packets[stream->written / frames % stream->packet_count];
        packet->position = stream->position;
        /* The device's measures jitter: a packet is never stamped before the one ahead of it. */
        packet->qpc = stream->last_qpc = max(device_frame_time(engine, device_frame), stream->last_qpc);
        packet->flags = (stream->lost ? AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY : 0)
                        | (engine->flow != MMDEVAPI_CAPTURE
                           && is_silence(stream->staged, (size_t)frames * stream->format.channels)
                           ? AUDCLNT_BUFFERFLAGS_SILENT : 0);
        stream->lost = FALSE;
        stream->written += frames;
        __atomic_store_n(&stream->shared->write_frames, stream->written, __ATOMIC_RELEASE);
    }
    else
    {
        if (!stream->lost) WINE_TRACE("stream %p: ring full, frames lost from %llu\n", stream,
                                      (unsigned long long)stream->position);
        stream->lost = TRUE;
    }
    stream->position += frames;
    stream->since_start += frames;
    stream->staged_frames -= frames;
    memmove(stream->staged, stream->staged + (size_t)frames * stream->format.channels,
            (size_t)stream->staged_frames * stream->format.channels * sizeof(float));
}

/* One device period into a started stream. Called with the lock. */
static void feed_stream(struct capture_stream *stream, const float *period, UINT32 frames)
{
    UINT32 channels = stream->format.channels, in_frames = frames, out_frames, i, c;
    float gains[MMDEVAPI_MAX_CHANNELS], *staged_end;
    BOOL unity = TRUE;

    channels_apply(&stream->matrix, period, stream->mapped, frames);
    /* IAudioStreamVolume and the session's volume, mute and channel volumes apply to capture too. */
    engine_stream_gains(stream->shared, channels, gains);
    for (c = 0; c < channels; c++) unity &= gains[c] == 1.0f;
    for (i = 0; !unity && i < frames; i++)
        for (c = 0; c < channels; c++) stream->mapped[i * channels + c] *= gains[c];
    staged_end = stream->staged + (size_t)stream->staged_frames * channels;
    out_frames = stream->staged_max - stream->staged_frames;
    if (stream->resampler) resample_process(stream->resampler, stream->mapped, &in_frames, staged_end, &out_frames);
    else
    {
        out_frames = min(out_frames, frames);
        memcpy(staged_end, stream->mapped, (size_t)out_frames * channels * sizeof(float));
    }
    stream->staged_frames += out_frames;
    while (stream->staged_frames >= stream->packet_frames) emit_packet(stream);
}

static BOOL any_started(const struct capture_engine *engine)
{
    UINT32 i;

    for (i = 0; i < engine->stream_count; i++)
        if (engine->streams[i]->started) return TRUE;
    return FALSE;
}

/* Reads every whole period the device has ready, at most what real time allows since it started;
 * *timeout: how long until the next one should be. Called with the lock. */
static HRESULT read_periods(struct capture_engine *engine, INT64 *timeout)
{
    UINT32 period = engine->period_frames, room, periods, i;
    UINT64 delay, captured, paced, ready, pending;
    UINT64 elapsed = monotonic_ns() - engine->pace_start;
    HRESULT hr;

    if (FAILED(hr = engine->backend->stream_delay(engine->input, &delay, &room))) return hr;
    engine->anchor_time = qpc_100ns();
    paced = engine->pace_read + (UINT64)(elapsed * (engine->format.rate * (1 + CAPTURE_PACE_TOLERANCE) / 1e9));
    captured = min(engine->read + max(delay, (UINT64)room), paced);
    engine->anchor_frames = captured;
    ready = min((UINT64)room, captured - min(captured, engine->read));

    for (periods = 0; ready >= period && periods < CAPTURE_CATCH_UP_PERIODS; periods++, ready -= period)
    {
        if (FAILED(hr = engine->backend->stream_read(engine->input, engine->period, period))) return hr;
        endpoint_gain_apply(engine->gain, &engine->meter, engine->period, engine->format.channels, period,
                            engine->format.rate);
        for (i = 0; i < engine->stream_count; i++)
            if (engine->streams[i]->started) feed_stream(engine->streams[i], engine->period, period);
        engine->read += period;
        engine->signal_due = TRUE;
    }
    for (i = 0; i < engine->stream_count; i++)
        if (engine->streams[i]->started) publish_clock(engine->streams[i]);

    /* Captured and on its way to us (a server's fragment in flight): look again soon. */
    pending = captured - min(captured, engine->read);
    if (ready >= period) *timeout = 0;
    else if (pending >= period) *timeout = 1000000;
    else *timeout = (INT64)((period - pending) * 1000000000ull / engine->format.rate) + 500000;
    return S_OK;
}

/* Every stream on the engine is gone for good, as on Windows when a device is unplugged. Called
 * with the lock. */
static void invalidate_streams(struct capture_engine *engine)
{
    struct capture_stream *stream;
    UINT32 i;

    for (i = 0; i < engine->stream_count; i++)
    {
        stream = engine->streams[i];
        if (stream->invalidated) continue;
        stream->invalidated = TRUE;
        stream->started = FALSE;
        __atomic_store_n(&stream->shared->invalidated, 1, __ATOMIC_RELEASE);
    }
    engine->signal_due = TRUE;
}

/* Stops the device when no stream records: an idle engine costs nothing. Called with the lock. */
static void go_idle(struct capture_engine *engine)
{
    if (!engine->running) return;
    engine->backend->stream_stop(engine->input);
    engine->running = FALSE;
}

static void drop_device(struct capture_engine *engine, HRESULT hr)
{
    WINE_WARN("capture device %s failed: %#x\n", engine->key, (unsigned int)hr);
    go_idle(engine);
    engine->backend->stream_close(engine->input);
    engine->input = NULL;
}

static HRESULT open_device(struct capture_engine *engine)
{
    UINT32 lead;

    if (engine->flow == MMDEVAPI_PROCESS_LOOPBACK)
        return engine->backend->process_stream_open(engine->key, &engine->format, engine->period_frames,
                                                    engine->target, engine->exclude, &engine->input);
    return engine->backend->stream_open(engine->key, engine->flow, &engine->format, engine->period_frames,
                                        &engine->input, &lead);
}

HRESULT capture_engine_run(struct capture_engine *engine)
{
    struct pollfd wake_poll = { .fd = engine->wake_fd, .events = POLLIN };
    INT64 timeout = -1;
    HRESULT hr;

    for (;;)
    {
        pthread_mutex_lock(&engine->lock);
        if (engine->device_gone && engine->input) drop_device(engine, AUDCLNT_E_DEVICE_INVALIDATED);
        engine->device_gone = FALSE;
        if (!any_started(engine))
        {
            go_idle(engine);
            capture_unlock(engine);
            backend_poll(&wake_poll, 1, -1);
            drain(engine->wake_fd);
            continue;
        }
        if (engine->mix_fed)
        {
            /* The render engine feeds the streams: this thread has nothing to do. */
            capture_unlock(engine);
            backend_poll(&wake_poll, 1, -1);
            drain(engine->wake_fd);
            continue;
        }
        if (!engine->input && FAILED(hr = open_device(engine)))
        {
            if (hr == E_NOTIMPL && engine->flow == MMDEVAPI_LOOPBACK)
            {
                WINE_TRACE("%s has no monitor: loopback records the engine's own mix\n", engine->key);
                engine->input = NULL;
                __atomic_store_n(&engine->mix_fed, TRUE, __ATOMIC_RELEASE);
                capture_unlock(engine);
                continue;
            }
            WINE_ERR("cannot record %s: %#x\n", engine->key, (unsigned int)hr);
            engine->input = NULL;
            invalidate_streams(engine);
            capture_unlock(engine);
            /* Wait for the next control call rather than spin on a device that is gone. */
            backend_poll(&wake_poll, 1, -1);
            drain(engine->wake_fd);
            continue;
        }
        hr = S_OK;
        if (!engine->running && SUCCEEDED(hr = engine->backend->stream_start(engine->input)))
        {
            engine->running = TRUE;
            engine->pace_start = monotonic_ns();
            engine->pace_read = engine->read;
        }
        if (SUCCEEDED(hr)) hr = read_periods(engine, &timeout);
        if (FAILED(hr)) drop_device(engine, hr);
        capture_unlock(engine);

        if (SUCCEEDED(hr) && FAILED(hr = engine->backend->stream_wait(engine->input, engine->wake_fd, timeout)))
        {
            pthread_mutex_lock(&engine->lock);
            drop_device(engine, hr);
            capture_unlock(engine);
        }
        drain(engine->wake_fd);
    }
}

void capture_loopback_mix(struct capture_engine **loopback, const char *key, const float *mix, UINT32 frames)
{
    struct capture_engine *engine = *loopback;
    UINT32 i;

    if (!engine)
    {
        if (!__atomic_load_n(&loopback_count, __ATOMIC_ACQUIRE)) return;
        pthread_mutex_lock(&loopbacks_lock);
        for (engine = loopbacks; engine && strcmp(engine->key, key); engine = engine->next_loopback) ;
        pthread_mutex_unlock(&loopbacks_lock);
        if (!(*loopback = engine)) return;
    }
    if (!__atomic_load_n(&engine->mix_fed, __ATOMIC_ACQUIRE)) return;
    pthread_mutex_lock(&engine->lock);
    if (any_started(engine))
    {
        /* The mix's frames are taken as captured when mixed: the device plays them its lead later. */
        engine->anchor_time = qpc_100ns();
        engine->anchor_frames = engine->read + frames;
        for (i = 0; i < engine->stream_count; i++)
            if (engine->streams[i]->started) feed_stream(engine->streams[i], mix, frames);
        engine->read += frames;
        for (i = 0; i < engine->stream_count; i++)
            if (engine->streams[i]->started) publish_clock(engine->streams[i]);
        engine->signal_due = TRUE;
    }
    capture_unlock(engine);
}

HRESULT capture_engine_signal_run(struct capture_engine *engine)
{
    struct pollfd wake_poll = { .fd = engine->signal_fd, .events = POLLIN };
    HANDLE events[CAPTURE_MAX_STREAMS];
    UINT32 count, i;

    for (;;)
    {
        backend_poll(&wake_poll, 1, -1);
        drain(engine->signal_fd);
        /* The handles stay open while they are set: closing one takes events_lock. */
        pthread_mutex_lock(&engine->events_lock);
        pthread_mutex_lock(&engine->lock);
        for (i = count = 0; i < engine->stream_count; i++)
            if ((engine->streams[i]->started || engine->streams[i]->invalidated) && engine->streams[i]->event)
                events[count++] = engine->streams[i]->event;
        pthread_mutex_unlock(&engine->lock);
        for (i = 0; i < count; i++) NtSetEvent(events[i], NULL);
        pthread_mutex_unlock(&engine->events_lock);
    }
}

static void close_event(struct capture_engine *engine, HANDLE event)
{
    pthread_mutex_lock(&engine->events_lock);
    NtClose(event);
    pthread_mutex_unlock(&engine->events_lock);
}

/* A packet is a device period in the stream's frames. */
static UINT32 packet_frames_of(const struct capture_engine *engine, const struct endpoint_format *format)
{
    return (UINT32)(((UINT64)engine->period_frames * format->rate + engine->format.rate - 1) / engine->format.rate);
}

static void stream_free(struct capture_stream *stream)
{
    SIZE_T size = 0;
    void *base = stream->shared;

    if (stream->resampler) resample_destroy(stream->resampler);
    if (base) NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE);
    if (stream->event) close_event(stream->engine, stream->event);
    free(stream->mapped);
    free(stream->staged);
    free(stream);
}

HRESULT capture_stream_create(struct capture_engine *engine, const struct endpoint_format *format,
                              UINT32 buffer_frames, struct capture_stream **out)
{
    UINT32 channels = format->channels, packets_offset, i;
    struct capture_stream *stream;
    SIZE_T shared_size;
    void *base = NULL;
    HRESULT hr = E_OUTOFMEMORY;

    if (!(stream = calloc(1, sizeof(*stream)))) return E_OUTOFMEMORY;
    stream->engine = engine;
    stream->format = *format;
    stream->frame_bytes = channels * format->bits / 8;
    stream->from_float = convert_get_from_float(convert_type_of_format(format->is_float, format->bits,
                                                                       format->valid_bits));
    if (!stream->from_float || channels_init(&stream->matrix, engine->format.channels, engine->format.channel_mask,
                                             channels, format->channel_mask))
    {
        free(stream);
        return AUDCLNT_E_UNSUPPORTED_FORMAT;
    }
    /* The ring is a whole number of packets, enough for what a device hands over at once (a
     * PipeWire quantum of 2048 frames, the periods read after a late wake-up) while the program
     * has not yet been woken to take any. */
    stream->packet_frames = packet_frames_of(engine, format);
    stream->packet_count = max(CAPTURE_CATCH_UP_PERIODS + 2,
                               (buffer_frames + stream->packet_frames - 1) / stream->packet_frames);
    stream->buffer_frames = stream->packet_count * stream->packet_frames;
    /* A period resampled gives at most a packet and a few frames more. */
    stream->staged_max = 2 * stream->packet_frames + 16;
    if (format->rate != engine->format.rate
        && !(stream->resampler = resample_create(engine->format.rate, format->rate, channels)))
        goto fail;
    if (!(stream->mapped = malloc((size_t)engine->period_frames * channels * sizeof(float)))
        || !(stream->staged = malloc((size_t)stream->staged_max * channels * sizeof(float))))
        goto fail;

    packets_offset = ((size_t)stream->buffer_frames * stream->frame_bytes + 63) & ~63;
    shared_size = offsetof(struct stream_shared, data[packets_offset])
                  + (size_t)stream->packet_count * sizeof(struct capture_packet);
    if (NtAllocateVirtualMemory(NtCurrentProcess(), &base, engine_shared_zero_bits, &shared_size,
                                MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE))
        goto fail;
    stream->shared = base;
    stream->shared->buffer_frames = stream->buffer_frames;
    stream->shared->frame_bytes = stream->frame_bytes;
    stream->shared->packet_frames = stream->packet_frames;
    stream->shared->packet_count = stream->packet_count;
    stream->shared->packets_offset = packets_offset;
    stream->packets = (struct capture_packet *)(stream->shared->data + packets_offset);
    /* IAudioStreamVolume and the session's volumes read back as set; capture applies none of them. */
    stream->shared->session_volume = 1.0f;
    for (i = 0; i < channels; i++) stream->shared->volumes[i] = stream->shared->session_channels[i] = 1.0f;
    stream->position = engine_position_origin();
    stream->written = engine_ring_origin(stream->position, stream->buffer_frames);
    stream->shared->write_frames = stream->shared->read_frames = stream->written;
    stream->shared->clock.position = stream->position;
    stream->shared->clock.limit = stream->position + stream->packet_frames;

    pthread_mutex_lock(&engine->lock);
    if (engine->stream_count < CAPTURE_MAX_STREAMS)
    {
        engine->streams[engine->stream_count++] = stream;
        hr = S_OK;
    }
    else hr = AUDCLNT_E_RESOURCES_INVALIDATED;
    pthread_mutex_unlock(&engine->lock);
    if (FAILED(hr)) goto fail;
    *out = stream;
    return S_OK;
fail:
    stream_free(stream);
    return hr;
}

struct stream_shared *capture_stream_shared(const struct capture_stream *stream)
{
    return stream->shared;
}

void capture_stream_release(struct capture_stream *stream)
{
    struct capture_engine *engine = stream->engine;
    UINT32 i;

    pthread_mutex_lock(&engine->lock);
    for (i = 0; i < engine->stream_count; i++)
        if (engine->streams[i] == stream)
        {
            engine->streams[i] = engine->streams[--engine->stream_count];
            break;
        }
    pthread_mutex_unlock(&engine->lock);
    wake(engine->wake_fd);
    stream_free(stream);
}

HRESULT capture_stream_start(struct capture_stream *stream)
{
    struct capture_engine *engine = stream->engine;
    HRESULT hr = AUDCLNT_E_DEVICE_INVALIDATED;

    pthread_mutex_lock(&engine->lock);
    if (!stream->invalidated)
    {
        /* The stream's frames begin with the next period the device gives. */
        stream->started = TRUE;
        stream->start_device = engine->read;
        stream->since_start = 0;
        stream->staged_frames = 0;
        if (stream->resampler) resample_reset(stream->resampler);
        hr = S_OK;
    }
    pthread_mutex_unlock(&engine->lock);
    wake(engine->wake_fd);
    return hr;
}

void capture_engine_device_gone(struct capture_engine *engine)
{
    pthread_mutex_lock(&engine->lock);
    engine->device_gone = TRUE;
    invalidate_streams(engine);
    capture_unlock(engine);     /* the streams' events tell their programs */
    wake(engine->wake_fd);
}

HRESULT capture_stream_stop(struct capture_stream *stream)
{
    struct capture_engine *engine = stream->engine;
    HRESULT hr = AUDCLNT_E_DEVICE_INVALIDATED;

    pthread_mutex_lock(&engine->lock);
    if (!stream->invalidated)
    {
        /* Frames short of a packet are dropped; the position counts only whole packets. */
        stream->started = FALSE;
        publish_clock(stream);
        hr = S_OK;
    }
    pthread_mutex_unlock(&engine->lock);
    wake(engine->wake_fd);
    return hr;
}

HRESULT capture_stream_reset(struct capture_stream *stream)
{
    struct capture_engine *engine = stream->engine;
    HRESULT hr = AUDCLNT_E_DEVICE_INVALIDATED;

    pthread_mutex_lock(&engine->lock);
    if (!stream->invalidated)
    {
        /* Stopped (the PE side checks): nothing reads or writes the ring meanwhile. */
        __atomic_store_n(&stream->shared->read_frames, stream->written, __ATOMIC_RELEASE);
        stream->lost = FALSE;
        hr = S_OK;
    }
    pthread_mutex_unlock(&engine->lock);
    return hr;
}

HRESULT capture_stream_set_event(struct capture_stream *stream, HANDLE event)
{
    struct capture_engine *engine = stream->engine;
    HANDLE old;

    pthread_mutex_lock(&engine->lock);
    old = stream->event;
    stream->event = event;
    pthread_mutex_unlock(&engine->lock);
    if (old) close_event(engine, old);
    return S_OK;
}

/* As engine_stream_move, for a capture stream: into to, the engine of another capture endpoint
 * whose packets are as long (the program's ring is made of them). Its position goes on; what was
 * staged short of a packet is lost, and a started stream's next packet says so
 * (AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY). */
HRESULT capture_stream_move(struct capture_stream *stream, struct capture_engine *to)
{
    struct capture_engine *from = stream->engine, *first = from < to ? from : to, *second = from < to ? to : from;
    UINT32 channels = stream->format.channels, i;
    struct resample *resampler = NULL, *old_resampler;
    struct channels_matrix matrix;
    float *mapped, *old_mapped;
    HRESULT hr = S_OK;

    if (to == from) return S_OK;
    if (to->flow != from->flow || packet_frames_of(to, &stream->format) != stream->packet_frames
        || channels_init(&matrix, to->format.channels, to->format.channel_mask, channels, stream->format.channel_mask))
        return AUDCLNT_E_UNSUPPORTED_FORMAT;
    if (to->format.rate != stream->format.rate
        && !(resampler = resample_create(to->format.rate, stream->format.rate, channels)))
        return E_OUTOFMEMORY;
    if (!(mapped = malloc((size_t)to->period_frames * channels * sizeof(float))))
    {
        if (resampler) resample_destroy(resampler);
        return E_OUTOFMEMORY;
    }
    /* Both locks, in one order whoever moves what. */
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    if (stream->invalidated) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    else if (to->stream_count >= CAPTURE_MAX_STREAMS) hr = AUDCLNT_E_RESOURCES_INVALIDATED;
    if (SUCCEEDED(hr))
    {
        for (i = 0; i < from->stream_count; i++)
            if (from->streams[i] == stream)
            {
                from->streams[i] = from->streams[--from->stream_count];
                break;
            }
        to->streams[to->stream_count++] = stream;
        stream->engine = to;
        stream->matrix = matrix;
        /* The old parts are freed below, once neither engine can be using them. */
        old_resampler = stream->resampler;
        stream->resampler = resampler;
        resampler = old_resampler;
        old_mapped = stream->mapped;
        stream->mapped = mapped;
        mapped = old_mapped;
        stream->start_device = to->read;
        stream->since_start = 0;
        stream->lost |= stream->started && stream->staged_frames;
        stream->staged_frames = 0;
        publish_clock(stream);
    }
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
    /* The old engine's signalling thread may be setting the stream's event right now: once it is
     * through, only the new engine's touches it. */
    pthread_mutex_lock(&from->events_lock);
    pthread_mutex_unlock(&from->events_lock);
    if (resampler) resample_destroy(resampler);
    free(mapped);
    wake(from->wake_fd);
    wake(to->wake_fd);
    return hr;
}
