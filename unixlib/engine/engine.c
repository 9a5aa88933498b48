/* The engine thread and its streams. The thread is a Wine thread (created on the PE side) living
 * in unix_engine_run; it alone talks to the backend stream. Control calls from other threads take
 * the engine's lock for a moment and wake the thread through an eventfd; the thread takes the same
 * lock once a period, so it is never contended for long. Nothing is allocated while mixing, and
 * the mix never waits for the wineserver: a second Wine thread, in unix_engine_signal, sets the
 * programs' events when the engine thread says a period passed. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
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

#include "engine.h"
#include "convert.h"
#include "channels.h"
#include "resample.h"
#include "mix.h"
#include "capture.h"
#include "device_clock.h"
#include "endpoint_gain.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

ULONG_PTR engine_shared_zero_bits;

#define ENGINE_MAX_STREAMS 256
/* How much faster than real time the device may seem to play before the engine stops following
 * it: a device without a clock (alsa-lib's null PCM, a broken one) takes frames as fast as they
 * come, while real devices' clocks stay within a few hundred ppm of the monotonic clock. */
#define PACE_TOLERANCE 0.002
/* Periods mixed back to back at most, after the engine thread woke late. */
#define CATCH_UP_PERIODS 8
/* A device that took nothing for this long with its buffer full is stuck, not busy: a server's
 * hiccup passes sooner, and then nothing it held is lost. */
#define STUCK_NS 200000000ull
/* Periods of history kept to map device frames back to stream frames: more than a device ever
 * holds queued. */
#define POSITION_MARKS 64

/* Which stream frames went into which device frames, one mark a period. */
struct position_mark
{
    UINT64 device_start;      /* first device frame of the period */
    UINT64 stream_start;      /* stream frames taken before it */
    UINT32 device_frames;     /* device frames that carry the stream's audio (the rest: silence) */
    UINT32 stream_frames;     /* stream frames they came from */
};

/* What mixes a stream into its engine's format: made anew when the stream moves to another engine. */
struct stream_mixing
{
    struct channels_matrix matrix;
    struct resample *resampler;
    UINT32 in_max_frames;     /* most input frames one period can need */
    float *in_buffer;         /* converted input, stream channels */
    float *out_buffer;        /* resampled, stream channels, one period */
};

struct engine_stream
{
    struct engine *engine;
    struct stream_shared *shared;
    UINT32 period_frames;     /* the period the program asked for, in device frames */
    struct endpoint_format format;
    UINT32 buffer_frames;     /* our own copies: the shared memory is the program's to scribble on */
    UINT32 frame_bytes;
    UINT32 rate;              /* input rate now (IAudioClockAdjustment may change it) */
    HANDLE event;
    BOOL started;
    BOOL mixed;               /* started and mixed at the device's current period */
    BOOL signalled;           /* started once: its event fires every period from then on, stopped or not */
    BOOL invalidated;         /* its device went away */

    UINT64 read_frames;       /* ring index, as published */
    UINT64 consumed;          /* stream frames taken since the last reset, from origin: the clock's unit */
    UINT64 delivered;         /* of those, the ones that reached the mix (not held in the resampler) */
    UINT32 silence_fed;       /* silence fed to the resampler since the program's last frame */
    UINT64 heard;             /* what the clock last said */
    UINT64 origin;            /* where consumed starts (engine_position_origin) */
    UINT32 resets;
    struct position_mark marks[POSITION_MARKS];
    UINT32 mark_count, mark_next;

    convert_to_float_func to_float;
    BOOL rate_adjust;         /* AUDCLNT_STREAMFLAGS_RATEADJUST: always resampled */
    struct stream_mixing mixing;
};

struct engine
{
    pthread_mutex_t lock;
    const struct backend_ops *backend;
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    enum mmdevapi_flow flow;
    struct endpoint_format format;
    int signal_fd;            /* wakes the signalling thread: a period passed */
    BOOL signal_due;          /* a period passed: wake the signalling thread once the lock is free */
    pthread_mutex_t events_lock; /* held while the streams' event handles are set or closed */
    UINT32 default_period;    /* Windows' 10 ms */
    UINT32 min_period;        /* the smallest period streams may ask (IAudioClient3) */
    UINT32 period_frames;     /* the period the device runs at: the smallest its streams asked */
    int wake_fd;

    struct engine_stream *streams[ENGINE_MAX_STREAMS];
    UINT32 stream_count;

    struct backend_stream *output;
    BOOL device_gone;         /* the endpoint went away: the engine's thread closes output, which it may be using */
    UINT32 lead;              /* device frames kept written ahead of the play head (the backend's cushion) */
    UINT32 room;              /* device frames a write takes now */
    BOOL playing;
    UINT64 written;           /* device frames written since the engine began */
    UINT64 heard;             /* device frames heard, as the device says, at most at real-time pace */
    UINT64 heard_qpc;         /* QueryPerformanceCounter when heard was measured */
    double paced_heard;       /* the most the device can have played by paced_time at real-time pace */
    UINT64 paced_time;        /* monotonic ns */
    UINT64 device_heard;      /* what the device last said it played */
    UINT64 device_moved;      /* when that last grew, monotonic ns */
    UINT64 stalled;           /* device frames the engine went on without the device */
    UINT64 start_time;        /* when the device started, monotonic ns */
    UINT64 start_heard;       /* what it had played then */
    UINT64 late_start;        /* device frames it started later than real time, at most: the schedule's */
    struct device_clock device_clock; /* a straight line through the device's word */
    UINT64 clock_heard;       /* heard as the streams' clocks show it: on that line */
    UINT64 event_tick;        /* when the events fire next if no period is mixed before, monotonic ns */
    UINT64 audible_end;       /* device frames written up to the last period that held a stream */
    float *mix;               /* one period, device channels */
    struct capture_engine *loopback; /* records the mix where the backend has no monitor (capture.c) */
    struct endpoint_gain *gain; /* the endpoint's volume where the engine applies it */
    struct endpoint_meter meter; /* the last period's peaks (IAudioMeterInformation) */
};

static void engine_wake(struct engine *engine)
{
    UINT64 one = 1;

    if (write(engine->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        WINE_WARN("cannot wake the engine: %s\n", strerror(errno));
}

static void engine_drain_wake(struct engine *engine)
{
    UINT64 count;

    while (read(engine->wake_fd, &count, sizeof(count)) > 0) ;
}

/* About 2.67 ms, a whole multiple of a fundamental period of at most 32 frames that divides the
 * default period (32 at 48 kHz: 128 frames), so that IAudioClient3's periods step evenly. */
static UINT32 smallest_period(UINT32 default_period, UINT32 rate)
{
    UINT32 fundamental = 32, least = (UINT32)(((UINT64)rate * 8 + 2999) / 3000);

    while (default_period % fundamental) fundamental--;
    return min(default_period, (least + fundamental - 1) / fundamental * fundamental);
}

HRESULT engine_create(const struct backend_ops *backend, const char *key, enum mmdevapi_flow flow,
                      const struct endpoint_format *format, struct engine **out)
{
    struct engine *engine;

    /* Capture and loopback engines are capture.c's. */
    if (flow != MMDEVAPI_RENDER) return E_INVALIDARG;
    if (!(engine = calloc(1, sizeof(*engine)))) return E_OUTOFMEMORY;
    pthread_mutex_init(&engine->lock, NULL);
    engine->backend = backend;
    endpoint_set_text(engine->key, sizeof(engine->key), key);
    engine->flow = flow;
    engine->format = *format;
    engine->format.bits = engine->format.valid_bits = 32;
    engine->format.is_float = TRUE;
    /* Windows' default: 10 ms; and for programs that ask (IAudioClient3), down to 2.67 ms (128
     * frames at 48 kHz), which the engine holds on time from the device's clock. */
    engine->default_period = engine->period_frames = format->rate / 100;
    engine->min_period = smallest_period(engine->default_period, format->rate);
    pthread_mutex_init(&engine->events_lock, NULL);
    engine->signal_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if ((engine->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 || engine->signal_fd < 0
        || !(engine->mix = calloc((size_t)engine->default_period * format->channels, sizeof(float)))
        || !(engine->gain = endpoint_gain_get(key, flow)))
    {
        free(engine->mix);
        if (engine->wake_fd >= 0) close(engine->wake_fd);
        if (engine->signal_fd >= 0) close(engine->signal_fd);
        free(engine);
        return E_OUTOFMEMORY;
    }
    *out = engine;
    return S_OK;
}

UINT32 engine_read_peaks(struct engine *engine, float *peaks)
{
    endpoint_meter_read(&engine->meter, engine->format.channels, peaks);
    return engine->format.channels;
}

UINT32 engine_default_period(const struct engine *engine)
{
    return engine->default_period;
}

UINT32 engine_min_period(const struct engine *engine)
{
    return engine->min_period;
}

/* The smallest period any stream asked for. Called with the lock. */
static UINT32 wanted_period(const struct engine *engine)
{
    UINT32 period = engine->default_period, i;

    for (i = 0; i < engine->stream_count; i++) period = min(period, engine->streams[i]->period_frames);
    return period;
}

UINT64 engine_position_origin(void)
{
    const char *setting = getenv("MMDEVAPI_DEBUG_POSITION_START");
    unsigned long long frames;
    char *end;

    if (!setting || !*setting) return 0;
    frames = strtoull(setting, &end, 0);
    /* The PE side's clock keeps 40 bits of frames (7 years at 48 kHz): room to play on. */
    if (*end || frames >= (1ull << 39)) return 0;
    return frames;
}

UINT64 engine_ring_origin(UINT64 origin, UINT32 ring_frames)
{
    return origin - origin % ring_frames;
}

static UINT64 monotonic_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000ull + now.tv_nsec;
}

static UINT64 qpc_now(void)
{
    LARGE_INTEGER counter, frequency;

    NtQueryPerformanceCounter(&counter, &frequency);
    return counter.QuadPart;
}

/* Stream frames behind a device position, from the marks. */
static UINT64 stream_frames_at(const struct engine_stream *stream, UINT64 device)
{
    const struct position_mark *mark;
    UINT32 i, index;
    UINT64 offset;

    if (!stream->mark_count) return stream->heard;
    for (i = 0; i < stream->mark_count; i++)
    {
        /* Newest first. */
        index = (stream->mark_next + POSITION_MARKS - 1 - i) % POSITION_MARKS;
        mark = &stream->marks[index];
        if (device < mark->device_start) continue;
        offset = min(device - mark->device_start, (UINT64)mark->device_frames);
        if (!mark->device_frames) return mark->stream_start;
        return mark->stream_start + offset * mark->stream_frames / mark->device_frames;
    }
    /* Older than anything kept: the oldest mark's start. */
    index = (stream->mark_next + POSITION_MARKS - stream->mark_count) % POSITION_MARKS;
    return stream->marks[index].stream_start;
}

static void publish_clock(struct engine_stream *stream, UINT64 qpc, BOOL running)
{
    struct stream_shared *shared = stream->shared;
    UINT32 seq = shared->clock.seq;

    __atomic_store_n(&shared->clock.seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    /* Relaxed atomics: a reader may read them while they change (and retries), which plain
     * stores would make a data race. They cost plain moves. */
    __atomic_store_n(&shared->clock.running, running, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.generation, stream->resets, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.position, stream->heard, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.limit, stream->consumed, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.qpc, qpc, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.rate, stream->rate, __ATOMIC_RELAXED);
    __atomic_store_n(&shared->clock.seq, seq + 2, __ATOMIC_RELEASE);
}

/* What the device has played, measured now: its own word (frames written less its delay), never
 * more than real time allows since the last measure, plus a period of the device's jitter. A
 * device that stands still for longer than its lead and a period stalls (a server waiting to
 * prebuffer again after an underrun, a device that stopped): from then on the engine goes on in
 * real time, and what it writes meanwhile stays ahead of the device's word. A device that starts
 * late (pipewire-pulse takes 20-50 ms to read a stream it uncorked, a quantum then, then none for a
 * while) has its lead to play from meanwhile: until it has played that lead, the schedule goes on
 * in real time from its start, and keeps the time it lagged queued beyond the lead; the clocks
 * follow the device. Called with the lock. */
static void measure_device(struct engine *engine)
{
    UINT64 delay, device_heard, now, elapsed, steady, clock_heard, since_start, late;
    double line;

    if (!engine->playing || FAILED(engine->backend->stream_delay(engine->output, &delay, &engine->room))) return;
    engine->heard_qpc = qpc_now();
    device_heard = engine->written - min(delay, engine->written);
    now = monotonic_ns();
    elapsed = now - engine->paced_time;
    if (device_heard > engine->device_heard)
    {
        engine->device_heard = device_heard;
        engine->device_moved = now;
    }
    else if (now - engine->device_moved > (engine->lead + engine->period_frames) * 1000000000ull / engine->format.rate)
        engine->stalled += elapsed * engine->format.rate / 1000000000;
    device_heard += engine->stalled;
    /* The clocks go by the line through the device's word, which is straight where the word is
     * coarse or jittery; never beyond heard (which real time holds back), never back. */
    line = device_clock_update(&engine->device_clock, device_heard, now, engine->lead + engine->period_frames);
    clock_heard = (UINT64)max(line, 0.0);
    since_start = device_heard - min(device_heard, engine->start_heard);
    if (since_start < engine->lead)
    {
        late = (now - engine->start_time) * engine->format.rate / 1000000000;
        if (late > since_start)
            engine->late_start = max(engine->late_start, min(late - since_start, (UINT64)(engine->lead - engine->period_frames)));
    }
    device_heard += engine->late_start;
    /* A device's word dips now and then for one measure (pipewire-pulse's read index moves a
     * quantum at a time, and libpulse's interpolation jumps back by a write): real time since the
     * last measure holds the schedule steady through it, never more than a period ahead of the
     * word. */
    steady = engine->heard + (UINT64)(elapsed * (engine->format.rate * (1 - PACE_TOLERANCE) / 1e9));
    if (device_heard < steady) device_heard = min(steady, device_heard + engine->period_frames);
    engine->paced_heard += elapsed * (engine->format.rate * (1 + PACE_TOLERANCE) / 1e9);
    engine->paced_heard = min(engine->paced_heard, (double)(device_heard + engine->period_frames));
    engine->paced_time = now;
    device_heard = min(device_heard, (UINT64)engine->paced_heard);
    /* Never past what was written: a stalled device whose buffer is full takes nothing more. */
    device_heard = min(device_heard, engine->written);
    if (device_heard > engine->heard) engine->heard = device_heard;
    clock_heard = min(clock_heard, engine->heard);
    if (clock_heard > engine->clock_heard) engine->clock_heard = clock_heard;
}

/* Each started stream's clock from the device's, as of when the device was measured (mixing
 * takes its time after). Called with the lock. */
static void update_clocks(struct engine *engine)
{
    struct engine_stream *stream;
    UINT64 heard, qpc = engine->playing ? engine->heard_qpc : qpc_now();
    UINT32 i;

    for (i = 0; i < engine->stream_count; i++)
    {
        stream = engine->streams[i];
        if (!stream->started) continue;
        heard = stream_frames_at(stream, engine->clock_heard);
        if (heard > stream->heard) stream->heard = min(heard, stream->consumed);
        publish_clock(stream, qpc, engine->playing);
    }
}

static void add_mark(struct engine_stream *stream, UINT64 device_start, UINT32 device_frames, UINT32 stream_frames)
{
    struct position_mark *mark = &stream->marks[stream->mark_next];

    mark->device_start = device_start;
    mark->stream_start = stream->delivered;
    mark->device_frames = device_frames;
    mark->stream_frames = stream_frames;
    stream->mark_next = (stream->mark_next + 1) % POSITION_MARKS;
    if (stream->mark_count < POSITION_MARKS) stream->mark_count++;
}

/* Converts frames of the ring, from index, into float. */
static void read_ring(struct engine_stream *stream, UINT64 index, UINT32 frames, float *dst)
{
    UINT32 offset = index % stream->buffer_frames, first = min(frames, stream->buffer_frames - offset);
    UINT32 channels = stream->format.channels;

    stream->to_float(stream->shared->data + (size_t)offset * stream->frame_bytes, dst, (size_t)first * channels);
    stream->to_float(stream->shared->data, dst + (size_t)first * channels, (size_t)(frames - first) * channels);
}

/* Gains for this period, sanitized: the program writes them. */
void engine_stream_gains(const struct stream_shared *shared, UINT32 channels, float *gains)
{
    float session = shared->session_volume, gain, channel;
    UINT32 i;

    if (!(session >= 0.0f && session <= 1.0f)) session = 0.0f;
    for (i = 0; i < channels; i++)
    {
        gain = shared->volumes[i];
        channel = shared->session_channels[i];
        gains[i] = (gain >= 0.0f && gain <= 1.0f && channel >= 0.0f && channel <= 1.0f) ? gain * channel * session : 0.0f;
    }
}

/* Adds one period of a started stream into the mix. */
/* Resamples a period; where the program's frames run short after its first period, silence
 * follows them through the filter, so that its last frames are heard whole. Returns the frames
 * produced; *delivered: the program's frames that the output represents so far. */
static UINT32 resample_period(struct engine *engine, struct engine_stream *stream, UINT32 *take, UINT64 *delivered)
{
    UINT32 period = engine->period_frames, produced = period, in_frames = *take, padding, more;
    double held;

    resample_process(stream->mixing.resampler, stream->mixing.in_buffer, &in_frames, stream->mixing.out_buffer, &produced);
    *take = in_frames;
    if (in_frames) stream->silence_fed = 0;
    held = resample_delay(stream->mixing.resampler) * stream->rate / engine->format.rate;
    if (produced < period && stream->mixed && stream->silence_fed < held)
    {
        more = period - produced;
        padding = min(resample_in_frames_for(stream->mixing.resampler, more), stream->mixing.in_max_frames);
        memset(stream->mixing.in_buffer, 0, (size_t)padding * stream->format.channels * sizeof(float));
        resample_process(stream->mixing.resampler, stream->mixing.in_buffer, &padding, stream->mixing.out_buffer
                         + (size_t)produced * stream->format.channels, &more);
        produced += more;
        stream->silence_fed += padding;
    }
    /* The filter holds its last input frames back; those of them that are silence are not the
     * program's. */
    held = held > stream->silence_fed ? held - stream->silence_fed : 0;
    *delivered = stream->consumed + *take - min((UINT64)(held + 0.5), stream->consumed + *take);
    return produced;
}

/* Adds one period of a started stream into the mix. */
static void mix_stream(struct engine *engine, struct engine_stream *stream)
{
    UINT32 period = engine->period_frames, need, take, produced, offset;
    float gains[MMDEVAPI_MAX_CHANNELS];
    UINT64 written, available, delivered;
    const float *out;

    written = __atomic_load_n(&stream->shared->write_frames, __ATOMIC_ACQUIRE);
    available = written >= stream->read_frames ? written - stream->read_frames : 0;
    if (available > stream->buffer_frames) available = stream->buffer_frames;

    need = stream->mixing.resampler ? resample_in_frames_for(stream->mixing.resampler, period) : period;
    if (need > stream->mixing.in_max_frames) need = stream->mixing.in_max_frames;
    take = (UINT32)min((UINT64)need, available);

    read_ring(stream, stream->read_frames, take, stream->mixing.in_buffer);
    if (stream->mixing.resampler)
    {
        produced = resample_period(engine, stream, &take, &delivered);
        out = stream->mixing.out_buffer;
    }
    else
    {
        produced = take;
        delivered = stream->consumed + take;
        out = stream->mixing.in_buffer;
    }
    /* Short of a period at its first after Start (a program that wrote a little, started, then
     * wrote the rest): its frames end the period, after silence, and the rest follows without a
     * hole. */
    offset = !stream->mixed && produced < period ? period - produced : 0;
    engine_stream_gains(stream->shared, stream->format.channels, gains);
    endpoint_meter_stream(stream->shared->peak_bits, out, gains, stream->format.channels, produced);
    channels_accumulate(&stream->mixing.matrix, out, engine->mix + (size_t)offset * engine->format.channels, gains, produced);

    stream->mixed = TRUE;
    delivered = max(delivered, stream->delivered);
    add_mark(stream, engine->written + offset, produced, (UINT32)(delivered - stream->delivered));
    stream->delivered = delivered;
    stream->read_frames += take;
    stream->consumed += take;
    __atomic_store_n(&stream->shared->read_frames, stream->read_frames, __ATOMIC_RELEASE);
    if (take < need) WINE_TRACE("stream %p ran short: %u of %u frames\n", stream, take, need);
}

static BOOL any_started(const struct engine *engine)
{
    UINT32 i;

    for (i = 0; i < engine->stream_count; i++)
        if (engine->streams[i]->started) return TRUE;
    return FALSE;
}

/* Whether the device still holds what stopped streams left in it. Its word on what it played can
 * run ahead of the listener by what it holds beyond it (PipeWire's graph after pipewire-pulse read
 * a quantum): it plays on for its lead past the last frame before it stops, or their last frames
 * are cut. Called with the lock. */
static BOOL playing_out(const struct engine *engine)
{
    return engine->playing && engine->heard < engine->audible_end + engine->lead;
}

/* Whether a new period can take effect now: no stream is playing at the old one (those starting
 * have not been mixed yet) and the device has played out what stopped streams left in it. Called
 * with the lock. */
static BOOL period_can_change(const struct engine *engine)
{
    UINT32 i;

    for (i = 0; i < engine->stream_count; i++)
        if (engine->streams[i]->started && engine->streams[i]->mixed) return FALSE;
    if (playing_out(engine)) return FALSE;
    return engine->period_frames != wanted_period(engine);
}

/* The period the device runs at, or is about to. */
UINT32 engine_current_period(struct engine *engine)
{
    UINT32 period;

    pthread_mutex_lock(&engine->lock);
    period = engine->playing && !period_can_change(engine) ? engine->period_frames : wanted_period(engine);
    pthread_mutex_unlock(&engine->lock);
    return period;
}

/* Whether the device must run: a stream plays, or what the last ones played is still queued (a
 * stopped stream's last frames are heard, as on Windows, not dropped). Called with the lock. */
static BOOL engine_busy(const struct engine *engine)
{
    return any_started(engine) || playing_out(engine);
}

/* Event-driven clients refill once a period. As on Windows, a stream's event goes on firing once
 * it was started, also after Stop and Reset: a program's audio thread that waits for it without a
 * timeout wakes to see that it should end. The signalling thread sets the events once the engine
 * thread lets go of the lock (engine_unlock), so that it does not wake only to wait for it. Called
 * with the lock. */
static void signal_events(struct engine *engine)
{
    engine->signal_due = TRUE;
}

/* Unlocks the engine thread's lock and wakes the signalling thread if a period passed. */
static void engine_unlock(struct engine *engine)
{
    BOOL due = engine->signal_due;
    UINT64 one = 1;

    engine->signal_due = FALSE;
    pthread_mutex_unlock(&engine->lock);
    if (due && write(engine->signal_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        WINE_WARN("cannot wake the signalling thread: %s\n", strerror(errno));
}

/* Whether a stopped stream's event must still fire: the engine ticks without its device. Called
 * with the lock. */
static BOOL any_signalled(const struct engine *engine)
{
    UINT32 i;

    for (i = 0; i < engine->stream_count; i++)
        if (engine->streams[i]->signalled && engine->streams[i]->event) return TRUE;
    return FALSE;
}

/* One period of every started stream into the device. Called with the lock. */
static HRESULT mix_period(struct engine *engine)
{
    HRESULT hr;
    UINT32 i;

    mix_clear(engine->mix, (size_t)engine->period_frames * engine->format.channels);
    for (i = 0; i < engine->stream_count; i++)
        if (engine->streams[i]->started) mix_stream(engine, engine->streams[i]);
    capture_loopback_mix(&engine->loopback, engine->key, engine->mix, engine->period_frames);
    endpoint_gain_apply(engine->gain, &engine->meter, engine->mix, engine->format.channels, engine->period_frames,
                        engine->format.rate);
    if (FAILED(hr = engine->backend->stream_write(engine->output, engine->mix, engine->period_frames)))
        return hr;
    engine->written += engine->period_frames;
    engine->room -= engine->period_frames;
    if (any_started(engine)) engine->audible_end = engine->written;
    signal_events(engine);
    engine->event_tick = monotonic_ns() + engine->period_frames * 1000000000ull / engine->format.rate;
    return S_OK;
}

/* The device could not be opened again: every stream on it is gone for good, as on Windows when
 * a device is unplugged; streams made afterwards try the device anew. Called with the lock. */
static void invalidate_streams(struct engine *engine)
{
    struct engine_stream *stream;
    UINT32 i;

    for (i = 0; i < engine->stream_count; i++)
    {
        stream = engine->streams[i];
        if (stream->invalidated) continue;
        stream->invalidated = TRUE;
        stream->started = FALSE;
        /* An event-driven program waiting for its next period hears of it at once, and on. */
        stream->signalled = TRUE;
        __atomic_store_n(&stream->shared->invalidated, 1, __ATOMIC_RELEASE);
        publish_clock(stream, qpc_now(), FALSE);
    }
    signal_events(engine);
}

static void ask_realtime(void)
{
    struct sched_param param = { .sched_priority = sched_get_priority_min(SCHED_FIFO) + 1 };

    /* Granted where the user may (rtkit-less systems with an rtprio limit); fine without. */
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param))
        WINE_TRACE("no real-time priority for the engine thread\n");
}

/* Stops the device when nothing plays, so that an idle engine costs nothing. Called with the lock. */
static void go_idle(struct engine *engine)
{
    UINT32 i;

    if (!engine->playing) return;
    engine->backend->stream_stop(engine->output);
    engine->playing = FALSE;
    engine->heard = engine->clock_heard = engine->written;
    for (i = 0; i < engine->stream_count; i++) engine->streams[i]->mark_count = 0;
}

/* Starts the device with the lead it wants queued, as silence before the streams' first frames:
 * its start-up cushion never leaves a hole after them. Called with the lock. */
static HRESULT start_device(struct engine *engine)
{
    UINT32 left, count;
    HRESULT hr;

    if (FAILED(hr = engine->backend->stream_start(engine->output))) return hr;
    mix_clear(engine->mix, (size_t)engine->period_frames * engine->format.channels);
    for (left = engine->lead; left; left -= count)
    {
        count = min(left, engine->period_frames);
        if (FAILED(hr = engine->backend->stream_write(engine->output, engine->mix, count))) return hr;
        engine->written += count;
    }
    engine->playing = TRUE;
    engine->paced_heard = engine->device_heard = engine->heard;
    engine->paced_time = engine->device_moved = monotonic_ns();
    engine->stalled = engine->late_start = 0;
    engine->start_heard = engine->heard;
    engine->start_time = engine->paced_time;
    device_clock_reset(&engine->device_clock, engine->format.rate);
    return S_OK;
}

/* A device that stalled with its buffer full (PipeWire's ALSA plugin once its stream stood
 * still) would take no period again: after STUCK_NS it starts anew, and what it held is lost.
 * Called with the lock. */
static void restart_if_stuck(struct engine *engine)
{
    if (!engine->playing || engine->room >= engine->period_frames
        || monotonic_ns() - engine->device_moved < STUCK_NS)
        return;
    WINE_WARN("device %s stalled with its buffer full: starting it again\n", engine->key);
    engine->backend->stream_stop(engine->output);
    engine->playing = FALSE;
    engine->heard = engine->written;
}

/* Whether the next period is due: the device has played down to its lead and has room for it.
 * Called with the lock. */
static BOOL period_due(const struct engine *engine)
{
    return engine->written - engine->heard <= engine->lead && engine->room >= engine->period_frames;
}

/* How long until the next period is due, if the device plays on in real time. Called with the lock. */
static INT64 time_to_next_period(const struct engine *engine)
{
    UINT64 ahead = engine->written - engine->heard;

    if (!engine_busy(engine)) return 0;
    if (ahead > engine->lead) return (INT64)((ahead - engine->lead) * 1000000000ull / engine->format.rate);
    /* Due, but the device is full (it lied about its position, or started late): look again soon. */
    return engine->room < engine->period_frames ? 1000000 : 0;
}

/* The device failed or went away: it is opened again on the next turn; if that fails, its streams
 * are gone. Called with the lock. */
static void drop_device(struct engine *engine, HRESULT hr)
{
    WINE_WARN("device %s failed: %#x\n", engine->key, (unsigned int)hr);
    go_idle(engine);
    engine->backend->stream_close(engine->output);
    engine->output = NULL;
}

/* With no stream started, the stopped streams' events fire once a period by the monotonic clock,
 * while the device plays out what is left or rests; the mix's periods push the next such tick
 * back. Returns how long to wait at most. Called with the lock. */
static INT64 keep_events_going(struct engine *engine, INT64 timeout)
{
    UINT64 now, period_ns = engine->period_frames * 1000000000ull / engine->format.rate;

    if (any_started(engine) || !any_signalled(engine)) return timeout;
    now = monotonic_ns();
    if (now >= engine->event_tick)
    {
        signal_events(engine);
        engine->event_tick = engine->event_tick + period_ns > now ? engine->event_tick + period_ns : now + period_ns;
    }
    return timeout < 0 ? (INT64)(engine->event_tick - now) : min(timeout, (INT64)(engine->event_tick - now));
}

HRESULT engine_run(struct engine *engine)
{
    struct pollfd wake = { .fd = engine->wake_fd, .events = POLLIN };
    UINT32 periods;
    INT64 timeout;
    HRESULT hr;

    ask_realtime();
    for (;;)
    {
        pthread_mutex_lock(&engine->lock);
        if (engine->device_gone && engine->output) drop_device(engine, AUDCLNT_E_DEVICE_INVALIDATED);
        engine->device_gone = FALSE;
        /* A new period takes effect when no stream plays at the old one: the device reopens. */
        if (engine->output && period_can_change(engine))
        {
            go_idle(engine);
            engine->backend->stream_close(engine->output);
            engine->output = NULL;
        }
        if (!engine_busy(engine))
        {
            go_idle(engine);
            /* The device rests; stopped streams' events go on at the period. */
            timeout = keep_events_going(engine, -1);
            engine_unlock(engine);
            backend_poll(&wake, 1, timeout);
            engine_drain_wake(engine);
            continue;
        }
        if (!engine->output) engine->period_frames = wanted_period(engine);
        if (!engine->output && FAILED(hr = engine->backend->stream_open(engine->key, engine->flow, &engine->format,
                                                                         engine->period_frames, &engine->output,
                                                                         &engine->lead)))
        {
            WINE_ERR("cannot open %s: %#x\n", engine->key, (unsigned int)hr);
            engine->output = NULL;
            invalidate_streams(engine);
            engine_unlock(engine);
            /* Wait for the next control call rather than spin on a device that is gone. */
            poll(&wake, 1, -1);
            engine_drain_wake(engine);
            continue;
        }
        restart_if_stuck(engine);
        hr = engine->playing ? S_OK : start_device(engine);
        measure_device(engine);
        /* One period per period of the device's clock: every stream is read, and its client
         * woken, at steady intervals, however the device asks for data. */
        for (periods = 0; SUCCEEDED(hr) && engine_busy(engine) && period_due(engine) && periods < CATCH_UP_PERIODS;
             periods++)
            hr = mix_period(engine);
        if (FAILED(hr)) drop_device(engine, hr);
        update_clocks(engine);
        timeout = keep_events_going(engine, time_to_next_period(engine));
        engine_unlock(engine);

        if (SUCCEEDED(hr) && FAILED(hr = engine->backend->stream_wait(engine->output, engine->wake_fd, timeout)))
        {
            pthread_mutex_lock(&engine->lock);
            drop_device(engine, hr);
            engine_unlock(engine);
        }
        engine_drain_wake(engine);
    }
}

HRESULT engine_signal_run(struct engine *engine)
{
    struct pollfd wake = { .fd = engine->signal_fd, .events = POLLIN };
    HANDLE events[ENGINE_MAX_STREAMS];
    UINT32 count, i;
    UINT64 value;

    ask_realtime();
    for (;;)
    {
        backend_poll(&wake, 1, -1);
        while (read(engine->signal_fd, &value, sizeof(value)) > 0) {}
        /* The handles stay open while they are set: closing one takes events_lock. */
        pthread_mutex_lock(&engine->events_lock);
        pthread_mutex_lock(&engine->lock);
        for (i = count = 0; i < engine->stream_count; i++)
            if (engine->streams[i]->signalled && engine->streams[i]->event) events[count++] = engine->streams[i]->event;
        pthread_mutex_unlock(&engine->lock);
        for (i = 0; i < count; i++) NtSetEvent(events[i], NULL);
        pthread_mutex_unlock(&engine->events_lock);
    }
}

/* Closes a stream's event once the signalling thread is not setting it. */
static void close_event(struct engine *engine, HANDLE event)
{
    pthread_mutex_lock(&engine->events_lock);
    NtClose(event);
    pthread_mutex_unlock(&engine->events_lock);
}

static void mixing_free(struct stream_mixing *mixing)
{
    if (mixing->resampler) resample_destroy(mixing->resampler);
    free(mixing->in_buffer);
    free(mixing->out_buffer);
}

/* What mixes a stream of format, at input rate (IAudioClockAdjustment's), into engine's format. */
static HRESULT mixing_create(const struct engine *engine, const struct endpoint_format *format, UINT32 rate,
                             BOOL rate_adjust, struct stream_mixing *mixing)
{
    UINT32 channels = format->channels;

    memset(mixing, 0, sizeof(*mixing));
    if (channels_init(&mixing->matrix, channels, format->channel_mask, engine->format.channels,
                      engine->format.channel_mask))
        return AUDCLNT_E_UNSUPPORTED_FORMAT;
    mixing->in_max_frames = engine->default_period;
    if (format->rate != engine->format.rate || rate_adjust)
    {
        if (!(mixing->resampler = resample_create(format->rate, engine->format.rate, channels))) goto fail;
        if (rate != format->rate) resample_set_input_rate(mixing->resampler, rate);
        /* Room for an input rate adjusted up to twice the stream's. */
        mixing->in_max_frames = 2 * resample_in_frames_for(mixing->resampler, engine->default_period) + 16;
        if (!(mixing->out_buffer = malloc((size_t)engine->default_period * channels * sizeof(float)))) goto fail;
    }
    if (!(mixing->in_buffer = malloc((size_t)mixing->in_max_frames * channels * sizeof(float)))) goto fail;
    return S_OK;
fail:
    mixing_free(mixing);
    return E_OUTOFMEMORY;
}

static void stream_free(struct engine_stream *stream)
{
    SIZE_T size = 0;
    void *base = stream->shared;

    mixing_free(&stream->mixing);
    if (base) NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE);
    if (stream->event) close_event(stream->engine, stream->event);
    free(stream);
}

HRESULT engine_stream_create(struct engine *engine, const struct endpoint_format *format, UINT32 flags,
                             UINT32 buffer_frames, UINT32 period_frames, struct engine_stream **out)
{
    UINT32 channels = format->channels, i;
    struct engine_stream *stream;
    SIZE_T shared_size;
    void *base = NULL;
    HRESULT hr = E_OUTOFMEMORY;

    if (!(stream = calloc(1, sizeof(*stream)))) return E_OUTOFMEMORY;
    stream->engine = engine;
    stream->format = *format;
    stream->buffer_frames = buffer_frames;
    stream->frame_bytes = channels * format->bits / 8;
    stream->rate = format->rate;
    stream->period_frames = period_frames && period_frames >= engine->min_period && period_frames <= engine->default_period
                            ? period_frames : engine->default_period;
    stream->to_float = convert_get_to_float(convert_type_of_format(format->is_float, format->bits, format->valid_bits));
    stream->rate_adjust = !!(flags & MMDEVAPI_STREAM_RATEADJUST);
    hr = stream->to_float ? mixing_create(engine, format, stream->rate, stream->rate_adjust, &stream->mixing)
                          : AUDCLNT_E_UNSUPPORTED_FORMAT;
    if (FAILED(hr))
    {
        free(stream);
        return hr;
    }
    hr = E_OUTOFMEMORY;

    shared_size = offsetof(struct stream_shared, data[(size_t)buffer_frames * stream->frame_bytes]);
    if (NtAllocateVirtualMemory(NtCurrentProcess(), &base, engine_shared_zero_bits, &shared_size,
                                MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE))
        goto fail;
    stream->shared = base;
    stream->shared->buffer_frames = buffer_frames;
    stream->shared->frame_bytes = stream->frame_bytes;
    stream->shared->session_volume = 1.0f;
    for (i = 0; i < channels; i++) stream->shared->volumes[i] = stream->shared->session_channels[i] = 1.0f;
    stream->origin = stream->consumed = stream->delivered = stream->heard = engine_position_origin();
    stream->read_frames = engine_ring_origin(stream->origin, buffer_frames);
    stream->shared->write_frames = stream->shared->read_frames = stream->read_frames;
    stream->shared->clock.position = stream->shared->clock.limit = stream->origin;

    pthread_mutex_lock(&engine->lock);
    if (engine->stream_count < ENGINE_MAX_STREAMS)
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

struct stream_shared *engine_stream_shared(const struct engine_stream *stream)
{
    return stream->shared;
}

void engine_stream_release(struct engine_stream *stream)
{
    struct engine *engine = stream->engine;
    UINT32 i;

    pthread_mutex_lock(&engine->lock);
    for (i = 0; i < engine->stream_count; i++)
        if (engine->streams[i] == stream)
        {
            engine->streams[i] = engine->streams[--engine->stream_count];
            break;
        }
    pthread_mutex_unlock(&engine->lock);
    engine_wake(engine);
    stream_free(stream);
}

HRESULT engine_stream_start(struct engine_stream *stream)
{
    struct engine *engine = stream->engine;

    HRESULT hr = AUDCLNT_E_DEVICE_INVALIDATED;

    pthread_mutex_lock(&engine->lock);
    if (!stream->invalidated)
    {
        stream->started = stream->signalled = TRUE;
        stream->mixed = FALSE;
        hr = S_OK;
    }
    pthread_mutex_unlock(&engine->lock);
    engine_wake(engine);
    return hr;
}

HRESULT engine_stream_stop(struct engine_stream *stream)
{
    struct engine *engine = stream->engine;

    pthread_mutex_lock(&engine->lock);
    if (stream->invalidated)
    {
        pthread_mutex_unlock(&engine->lock);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    stream->started = FALSE;
    /* As on Windows, a stopped stream's clock stands at everything the engine took: the device
     * plays those last frames out (see engine_busy). */
    stream->heard = stream->consumed;
    publish_clock(stream, qpc_now(), FALSE);
    pthread_mutex_unlock(&engine->lock);
    engine_wake(engine);
    return S_OK;
}

void engine_device_gone(struct engine *engine)
{
    pthread_mutex_lock(&engine->lock);
    engine->device_gone = TRUE;
    invalidate_streams(engine);
    engine_unlock(engine);
    engine_wake(engine);
}

HRESULT engine_stream_reset(struct engine_stream *stream)
{
    struct engine *engine = stream->engine;

    pthread_mutex_lock(&engine->lock);
    if (stream->invalidated)
    {
        pthread_mutex_unlock(&engine->lock);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    /* What the program wrote and the engine did not take is dropped; the clock starts over. */
    stream->read_frames = __atomic_load_n(&stream->shared->write_frames, __ATOMIC_ACQUIRE);
    __atomic_store_n(&stream->shared->read_frames, stream->read_frames, __ATOMIC_RELEASE);
    stream->consumed = stream->delivered = stream->heard = stream->origin;
    stream->silence_fed = 0;
    stream->mark_count = 0;
    stream->resets++;
    if (stream->mixing.resampler) resample_reset(stream->mixing.resampler);
    publish_clock(stream, qpc_now(), FALSE);
    pthread_mutex_unlock(&engine->lock);
    return S_OK;
}

/* Takes stream out of its engine and into to (the program's default endpoint changed), its ring,
 * event, volumes and state with it. What its old engine took and did not play yet is counted as
 * heard, so that its clock goes on from there, never back. */
HRESULT engine_stream_move(struct engine_stream *stream, struct engine *to)
{
    struct engine *from = stream->engine, *first = from < to ? from : to, *second = from < to ? to : from;
    struct stream_mixing mixing, old;
    HRESULT hr = S_OK;
    UINT32 i;

    if (to == from) return S_OK;
    if (FAILED(hr = mixing_create(to, &stream->format, stream->rate, stream->rate_adjust, &mixing))) return hr;
    /* Both locks, in one order whoever moves what. */
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    if (stream->invalidated) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    else if (to->stream_count >= ENGINE_MAX_STREAMS) hr = AUDCLNT_E_RESOURCES_INVALIDATED;
    if (SUCCEEDED(hr))
    {
        for (i = 0; i < from->stream_count; i++)
            if (from->streams[i] == stream)
            {
                from->streams[i] = from->streams[--from->stream_count];
                break;
            }
        to->streams[to->stream_count++] = stream;
        old = stream->mixing;
        stream->mixing = mixing;
        stream->engine = to;
        if (stream->period_frames < to->min_period || stream->period_frames > to->default_period)
            stream->period_frames = to->default_period;
        stream->mixed = FALSE;
        stream->silence_fed = 0;
        stream->mark_count = 0;
        stream->heard = stream->delivered = stream->consumed;
        publish_clock(stream, qpc_now(), FALSE);
    }
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
    if (FAILED(hr))
    {
        mixing_free(&mixing);
        return hr;
    }
    /* The old engine's signalling thread may be setting the stream's event right now: once it is
     * through, only the new engine's touches it. */
    pthread_mutex_lock(&from->events_lock);
    pthread_mutex_unlock(&from->events_lock);
    mixing_free(&old);
    engine_wake(from);
    engine_wake(to);
    return S_OK;
}

HRESULT engine_stream_set_event(struct engine_stream *stream, HANDLE event)
{
    struct engine *engine = stream->engine;
    HANDLE old;

    pthread_mutex_lock(&engine->lock);
    old = stream->event;
    stream->event = event;
    pthread_mutex_unlock(&engine->lock);
    if (old) close_event(engine, old);
    return S_OK;
}

HRESULT engine_stream_set_rate(struct engine_stream *stream, UINT64 rate_millihz)
{
    struct engine *engine = stream->engine;
    HRESULT hr = E_INVALIDARG;

    if (!stream->mixing.resampler) return AUDCLNT_E_UNSUPPORTED_FORMAT;
    pthread_mutex_lock(&engine->lock);
    if (!resample_set_input_rate(stream->mixing.resampler, rate_millihz / 1000.0))
    {
        stream->rate = (UINT32)((rate_millihz + 500) / 1000);
        hr = S_OK;
    }
    pthread_mutex_unlock(&engine->lock);
    return hr;
}
