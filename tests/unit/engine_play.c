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
           (unsigned long long)load(&shared->read_frames), (unsigned long long)shared->clock.position);
    CHECK(shared->clock.position > 0);
    CHECK(shared->clock.position <= load(&shared->read_frames));
    /* Real time: 0.3 s in, about 0.3 s taken (the device's queue ahead, not more) and heard (less
     * what the device holds). */
    CHECK(load(&shared->read_frames) < format.rate * 0.4);
    CHECK(shared->clock.position > format.rate * 0.2);

    /* The whole second plays out, and the clock reaches its end. */
    while (now_seconds() - start < 2.0 && shared->clock.position < buffer) usleep(10000);
    CHECK_EQ_UINT(load(&shared->read_frames), buffer);
    CHECK_EQ_UINT(shared->clock.position, buffer);

    CHECK_EQ_HEX(engine_stream_stop(stream), S_OK);
    CHECK_EQ_HEX(engine_stream_reset(stream), S_OK);
    CHECK_EQ_UINT(shared->clock.position, 0);

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
    return unit_summary("engine-play");
}
