/* Layer 2: the engine with a real backend, without Wine: a stream's ring is drained in real time
 * (the harness's ALSA device reaches its PulseAudio server through alsa-lib's pulse plugin, so both
 * have a clock), its clock moves with the device, and the stream's last frames are heard. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winerror.h>

#include "backend.h"
#include "engine/engine.h"
#include "unit.h"

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *run_engine(void *engine)
{
    engine_run(engine);
    return NULL;
}

static UINT64 load(UINT64 *value)
{
    return __atomic_load_n(value, __ATOMIC_ACQUIRE);
}

/* A device with a real-time clock that freezes 200 ms after its first start, its buffer full
 * (PipeWire's ALSA plugin did so once its stream stood still): it takes nothing more until it is
 * stopped and started again. */
struct stuck_device
{
    UINT64 written, frozen_heard, started_ns;
    BOOL running, frozen, froze_once;
};
static struct stuck_device stuck;
#define STUCK_BUFFER 4800

static UINT64 now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static UINT64 stuck_heard(void)
{
    UINT64 played;

    if (!stuck.running) return 0;
    played = min((now_ns() - stuck.started_ns) * 48 / 1000000, stuck.written);
    if (!stuck.froze_once && now_ns() - stuck.started_ns > 200000000)
    {
        stuck.froze_once = stuck.frozen = TRUE;
        stuck.frozen_heard = played;
    }
    return stuck.frozen ? stuck.frozen_heard : played;
}

static HRESULT stuck_open(const char *key, enum mmdevapi_flow flow, const struct endpoint_format *format,
                          UINT32 period_frames, struct backend_stream **out, UINT32 *lead_frames)
{
    *out = (struct backend_stream *)&stuck;
    *lead_frames = 2 * period_frames;
    return S_OK;
}

static void stuck_close(struct backend_stream *stream) {}

static HRESULT stuck_start(struct backend_stream *stream)
{
    stuck.running = TRUE;
    stuck.started_ns = now_ns();
    return S_OK;
}

static HRESULT stuck_stop(struct backend_stream *stream)
{
    stuck.running = stuck.frozen = FALSE;
    stuck.written = 0;
    return S_OK;
}

static HRESULT stuck_wait(struct backend_stream *stream, int wake_fd, INT64 timeout_ns)
{
    struct pollfd wake = { .fd = wake_fd, .events = POLLIN };

    backend_poll(&wake, 1, timeout_ns);
    return S_OK;
}

static HRESULT stuck_write(struct backend_stream *stream, const float *frames, UINT32 count)
{
    if (stuck.written + count - stuck_heard() > STUCK_BUFFER) return E_FAIL;
    stuck.written += count;
    return S_OK;
}

static HRESULT stuck_delay(struct backend_stream *stream, UINT64 *frames, UINT32 *room)
{
    UINT64 heard = stuck_heard();

    *frames = stuck.written - heard;
    if (room) *room = STUCK_BUFFER - (UINT32)(stuck.written - heard);
    return S_OK;
}

static const struct backend_ops stuck_backend =
{
    .name = "stuck", .stream_open = stuck_open, .stream_close = stuck_close, .stream_start = stuck_start,
    .stream_stop = stuck_stop, .stream_wait = stuck_wait, .stream_write = stuck_write, .stream_delay = stuck_delay,
};

/* The engine starts a device that stalled with its buffer full anew: a stream of 1 s plays to its
 * end in real time (before, the engine counted the stall past what it had written and slept). */
static void test_stuck_device(void)
{
    struct endpoint_format format = { .rate = 48000, .channels = 2, .channel_mask = 3, .bits = 32,
                                      .valid_bits = 32, .is_float = TRUE };
    struct engine_stream *stream;
    struct stream_shared *shared;
    struct engine *engine;
    pthread_t thread;
    double start;

    CHECK_EQ_HEX(engine_create(&stuck_backend, "stuck", MMDEVAPI_RENDER, &format, &engine), S_OK);
    pthread_create(&thread, NULL, run_engine, engine);
    CHECK_EQ_HEX(engine_stream_create(engine, &format, 0, 48000, 0, &stream), S_OK);
    shared = engine_stream_shared(stream);
    __atomic_store_n(&shared->write_frames, 48000, __ATOMIC_RELEASE);
    start = now_seconds();
    CHECK_EQ_HEX(engine_stream_start(stream), S_OK);
    while (now_seconds() - start < 3.0 && load(&shared->clock.position) < 48000) usleep(10000);
    printf("stuck device: froze %d, the stream's 48000 frames taken after %.0f ms: %llu, heard %llu\n",
           stuck.froze_once, (now_seconds() - start) * 1000, (unsigned long long)load(&shared->read_frames),
           (unsigned long long)load(&shared->clock.position));
    CHECK(stuck.froze_once);
    CHECK_EQ_UINT(load(&shared->read_frames), 48000);
    CHECK_EQ_UINT(load(&shared->clock.position), 48000);
    CHECK(now_seconds() - start < 1.5);
    CHECK_EQ_HEX(engine_stream_stop(stream), S_OK);
    engine_stream_release(stream);
}

int main(void)
{
    const char *name = unit_backend();
    const struct backend_ops *backend = NULL;
    struct endpoint_info endpoints[MMDEVAPI_ENDPOINTS_MAX];
    struct endpoint_format format;
    struct engine_stream *stream;
    struct stream_shared *shared;
    UINT32 count, default_index, i, buffer = 48000;
    struct engine *engine;
    pthread_t thread;
    double start;
    float *frames;

    if (!name || !strcmp(name, "none"))
    {
        printf("skip: needs a backend\n");
        return 77;
    }
#ifdef HAVE_PIPEWIRE
    if (!strcmp(name, "pipewire")) backend = &pipewire_backend;
#endif
#ifdef HAVE_PULSE
    if (!strcmp(name, "pulse")) backend = &pulse_backend;
#endif
#ifdef HAVE_ALSA
    if (!strcmp(name, "alsa")) backend = &alsa_backend;
#endif
    if (!backend) return 77;

    count = backend->list_endpoints(MMDEVAPI_RENDER, endpoints, MMDEVAPI_ENDPOINTS_MAX, &default_index);
    CHECK(count >= 1 && default_index < count);
    if (!count) return unit_summary("engine-play");
    CHECK_EQ_HEX(engine_create(backend, endpoints[default_index].key, MMDEVAPI_RENDER,
                               &endpoints[default_index].format, &engine), S_OK);
    CHECK_EQ_UINT(engine_default_period(engine), endpoints[default_index].format.rate / 100);
    pthread_create(&thread, NULL, run_engine, engine);

    /* One second of a float stream in the mix format. */
    format = endpoints[default_index].format;
    format.bits = format.valid_bits = 32;
    format.is_float = TRUE;
    CHECK_EQ_HEX(engine_stream_create(engine, &format, 0, buffer, 0, &stream), S_OK);
    shared = engine_stream_shared(stream);
    frames = (float *)shared->data;
    for (i = 0; i < buffer * format.channels; i++) frames[i] = (float)(i % 1000) / 2000.0f;
    __atomic_store_n(&shared->write_frames, buffer, __ATOMIC_RELEASE);

    start = now_seconds();
    CHECK_EQ_HEX(engine_stream_start(stream), S_OK);
    /* Within 200 ms the engine has taken frames and the clock has moved. */
    while (now_seconds() - start < 0.2 && !load(&shared->read_frames)) usleep(1000);
    CHECK(load(&shared->read_frames) > 0);
    usleep(300000);
    printf("after %.0f ms: taken %llu, heard %llu frames\n", (now_seconds() - start) * 1000,
           (unsigned long long)load(&shared->read_frames), (unsigned long long)load(&shared->clock.position));
    CHECK(load(&shared->clock.position) > 0);
    CHECK(load(&shared->clock.position) <= load(&shared->read_frames));
    /* Real time: 0.3 s in, about 0.3 s taken (the device's queue ahead, not more) and heard (less
     * what the device holds). */
    CHECK(load(&shared->read_frames) < format.rate * 0.4);
    CHECK(load(&shared->clock.position) > format.rate * 0.2);

    /* The whole second plays out, and the clock reaches its end. */
    while (now_seconds() - start < 2.0 && load(&shared->clock.position) < buffer) usleep(10000);
    CHECK_EQ_UINT(load(&shared->read_frames), buffer);
    CHECK_EQ_UINT(load(&shared->clock.position), buffer);

    CHECK_EQ_HEX(engine_stream_stop(stream), S_OK);
    CHECK_EQ_HEX(engine_stream_reset(stream), S_OK);
    CHECK_EQ_UINT(load(&shared->clock.position), 0);

    /* The program owns write_frames and may scribble on it: a count far past the ring, then one
     * behind what the engine took. The engine reads no more than a ring's worth, and nothing. */
    {
        UINT64 taken = load(&shared->read_frames);

        __atomic_store_n(&shared->write_frames, taken + 1000000000000ull, __ATOMIC_RELEASE);
        CHECK_EQ_HEX(engine_stream_start(stream), S_OK);
        usleep(200000);
        CHECK(load(&shared->read_frames) - taken <= buffer);
        __atomic_store_n(&shared->write_frames, 0, __ATOMIC_RELEASE);
        taken = load(&shared->read_frames);
        usleep(100000);
        CHECK_EQ_UINT(load(&shared->read_frames), taken);
        CHECK_EQ_HEX(engine_stream_stop(stream), S_OK);
    }
    engine_stream_release(stream);
    test_stuck_device();
    return unit_summary("engine-play");
}
