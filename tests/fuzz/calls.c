/* A libFuzzer target: the Linux side's call table driven by a hostile PE side, against the real
 * backend the harness started (tests/harness/run-test --native). Each input is a program of calls
 * with arbitrary parameters, handles both live and made up, and writes of arbitrary values into
 * the rings the PE side shares with the engines while their threads run. The sanitizers (the
 * build's b_sanitize) and libFuzzer's own checks are the oracle: no crash, no undefined behaviour,
 * no leak, no hang.
 *
 * What a real PE side would never do wrong stays right: pointers in params point at params of the
 * right size (the boundary cannot check an address), and engines, which live as long as the
 * process, are made a bounded number of times. */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winerror.h>

#include "mmdevapi_unix.h"
#include "mmdevapi_ring.h"
#include "unit.h"

extern const unixlib_entry_t __wine_unix_call_funcs[];

#define ENGINES_MAX 8       /* the three made at start, and those an input made */
#define STREAMS_MAX 8       /* per input: released at its end */
#define OPS_MAX 64

struct engine_entry
{
    UINT64 handle;
    struct endpoint_format format;
    BOOL extra;             /* made by an input: device_gone may end it */
};

struct stream_entry
{
    UINT64 handle;
    struct stream_shared *shared;
    UINT32 buffer_frames, frame_bytes;
};

static struct endpoint_info endpoints[2][MMDEVAPI_ENDPOINTS_MAX];
static UINT32 endpoint_count[2], default_index[2];
static struct engine_entry engines[ENGINES_MAX];
static unsigned int engine_count;

/* The bytes of one input, taken in turn; zeros once they run out. */
struct input
{
    const uint8_t *data;
    size_t size;
};

static void take(struct input *in, void *out, size_t size)
{
    size_t n = size < in->size ? size : in->size;

    memset(out, 0, size);
    memcpy(out, in->data, n);
    in->data += n;
    in->size -= n;
}

static UINT32 take_u32(struct input *in)
{
    UINT32 value;

    take(in, &value, sizeof(value));
    return value;
}

static UINT8 take_u8(struct input *in)
{
    UINT8 value;

    take(in, &value, sizeof(value));
    return value;
}

static UINT64 take_u64(struct input *in)
{
    UINT64 value;

    take(in, &value, sizeof(value));
    return value;
}

static NTSTATUS call(enum mmdevapi_unix_call code, void *params)
{
    return __wine_unix_call_funcs[code](params);
}

static void *run_thread(void *arg)
{
    struct engine_run_params params = { .engine = (UINT64)(uintptr_t)arg };

    call(unix_engine_run, &params);
    return NULL;
}

static void *signal_thread(void *arg)
{
    struct engine_run_params params = { .engine = (UINT64)(uintptr_t)arg };

    call(unix_engine_signal, &params);
    return NULL;
}

/* Runs an engine made by engine_create as the PE side does: its mix and its events, each on a
 * thread of its own for the rest of the process. */
static void keep_engine(UINT64 handle, const struct endpoint_format *format, BOOL extra)
{
    pthread_t thread;

    engines[engine_count].handle = handle;
    engines[engine_count].format = *format;
    engines[engine_count].extra = extra;
    engine_count++;
    if (!pthread_create(&thread, NULL, run_thread, (void *)(uintptr_t)handle)) pthread_detach(thread);
    if (!pthread_create(&thread, NULL, signal_thread, (void *)(uintptr_t)handle)) pthread_detach(thread);
}

static void make_engine(UINT32 flow, UINT32 list)
{
    struct engine_create_params params;

    if (default_index[list] >= endpoint_count[list]) return;
    memset(&params, 0, sizeof(params));
    memcpy(params.key, endpoints[list][default_index[list]].key, sizeof(params.key));
    params.flow = flow;
    params.format = endpoints[list][default_index[list]].format;
    call(unix_engine_create, &params);
    if (params.result == S_OK) keep_engine(params.engine, &params.format, FALSE);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct process_attach_params attach;
    struct get_endpoints_params list;
    const char *backend = unit_backend();
    UINT32 flow;

    unsetenv("MMDEVAPI_TEST_TRACE");     /* libFuzzer's own output is what tells */
    memset(&attach, 0, sizeof(attach));
    attach.has_request = backend != NULL;
    if (backend) snprintf(attach.request, sizeof(attach.request), "%s", backend);
    call(unix_process_attach, &attach);
    for (flow = MMDEVAPI_RENDER; flow <= MMDEVAPI_CAPTURE; flow++)
    {
        memset(&list, 0, sizeof(list));
        list.flow = flow;
        list.capacity = MMDEVAPI_ENDPOINTS_MAX;
        list.endpoints = endpoints[flow];
        call(unix_get_endpoints, &list);
        endpoint_count[flow] = list.count;
        default_index[flow] = list.default_index;
    }
    fprintf(stderr, "fuzz-calls: backend \"%s\", %u render and %u capture endpoints\n", attach.backend,
            endpoint_count[MMDEVAPI_RENDER], endpoint_count[MMDEVAPI_CAPTURE]);
    make_engine(MMDEVAPI_RENDER, MMDEVAPI_RENDER);
    make_engine(MMDEVAPI_CAPTURE, MMDEVAPI_CAPTURE);
    make_engine(MMDEVAPI_LOOPBACK, MMDEVAPI_RENDER);
    return 0;
}

/* A handle: mostly a live one, sometimes a live one altered, sometimes anything. */
static UINT64 pick_engine(struct input *in)
{
    UINT8 choice = take_u8(in);

    if (!engine_count || choice >= 240) return take_u64(in);
    if (choice >= 224) return engines[choice % engine_count].handle ^ ((UINT64)1 << (take_u8(in) % 64));
    return engines[choice % engine_count].handle;
}

static UINT64 pick_stream(struct input *in, struct stream_entry *streams, unsigned int count, unsigned int *index)
{
    UINT8 choice = take_u8(in);

    *index = count;
    if (!count || choice >= 240) return take_u64(in);
    *index = choice % count;
    return streams[*index].handle;
}

/* A format: an engine's or an endpoint's with some fields changed, or anything. */
static void take_format(struct input *in, struct endpoint_format *format, const struct endpoint_format *base)
{
    UINT8 changes = take_u8(in);

    if (changes == 0xff)
    {
        take(in, format, sizeof(*format));
        return;
    }
    *format = *base;
    if (changes & 0x01) format->rate = take_u32(in) % 800000;
    if (changes & 0x02) format->channels = take_u8(in) % 40;
    if (changes & 0x04) format->channel_mask = take_u32(in);
    if (changes & 0x08) format->bits = take_u8(in) % 40;
    if (changes & 0x10) format->valid_bits = take_u8(in) % 40;
    if (changes & 0x20) format->is_float = take_u8(in) % 3;
}

static const struct endpoint_format *engine_format(UINT64 handle)
{
    static const struct endpoint_format fallback = { 48000, 2, 3, 32, 32, 1 };
    unsigned int i;

    for (i = 0; i < engine_count; i++)
        if (engines[i].handle == handle) return &engines[i].format;
    return &fallback;
}

/* A hostile PE side's writes into a ring: its indices, its gains (NaN and infinities too), its
 * samples, and the fields the engine wrote once. */
static void scribble(struct input *in, struct stream_entry *stream)
{
    BYTE *bytes = (BYTE *)stream->shared;
    UINT32 offset, size;
    float value;
    UINT8 what = take_u8(in) % 5;

    switch (what)
    {
    case 0:     /* render: released frames; capture: frames read */
        __atomic_store_n(&stream->shared->write_frames,
                         __atomic_load_n(&stream->shared->read_frames, __ATOMIC_RELAXED) + take_u32(in) % (2 * stream->buffer_frames + 2),
                         __ATOMIC_RELEASE);
        break;
    case 1:
        __atomic_store_n(take_u8(in) & 1 ? &stream->shared->write_frames : &stream->shared->read_frames, take_u64(in),
                         __ATOMIC_RELEASE);
        break;
    case 2:
        take(in, &value, sizeof(value));
        offset = take_u8(in) % (2 * MMDEVAPI_MAX_CHANNELS + 1);
        if (offset < MMDEVAPI_MAX_CHANNELS) stream->shared->volumes[offset] = value;
        else if (offset < 2 * MMDEVAPI_MAX_CHANNELS) stream->shared->session_channels[offset - MMDEVAPI_MAX_CHANNELS] = value;
        else stream->shared->session_volume = value;
        break;
    case 3:     /* samples: any bits, NaNs and denormals among them */
        offset = take_u32(in) % (stream->buffer_frames * stream->frame_bytes);
        size = take_u8(in);
        if (size > stream->buffer_frames * stream->frame_bytes - offset) size = stream->buffer_frames * stream->frame_bytes - offset;
        take(in, stream->shared->data + offset, size);
        break;
    default:    /* anything in the ring's header, what the engine wrote once included */
        offset = take_u32(in) % (sizeof(struct stream_shared) - sizeof(UINT32) + 1);
        take(in, bytes + offset, sizeof(UINT32));
        break;
    }
}

static void release_stream(struct stream_entry *streams, unsigned int *count, unsigned int index)
{
    struct stream_params params = { .stream = streams[index].handle };

    call(unix_stream_release, &params);
    streams[index] = streams[--*count];
}

static void run_op(struct input *in, struct stream_entry *streams, unsigned int *stream_count)
{
    static struct endpoint_info out[MMDEVAPI_ENDPOINTS_MAX + 1];
    union
    {
        struct get_endpoints_params list;
        struct engine_create_params create;
        struct engine_get_period_params period;
        struct engine_get_peaks_params peaks;
        struct engine_device_gone_params gone;
        struct stream_create_params stream;
        struct stream_move_params move;
        struct stream_params simple;
        struct stream_set_event_params event;
        struct stream_set_rate_params rate;
        struct set_program_params program;
        struct endpoint_volume_params volume;
        struct endpoints_watch_params watch;
        struct endpoint_sessions_params sessions;
        struct endpoint_session_volume_params session_volume;
    } p;
    static const enum mmdevapi_unix_call simple_calls[] = { unix_stream_start, unix_stream_stop, unix_stream_reset };
    unsigned int index;
    UINT32 list;

    memset(&p, 0, sizeof(p));
    switch (take_u8(in) % 16)
    {
    case 0:
        p.list.flow = take_u32(in) % 4;
        p.list.capacity = take_u8(in) % (MMDEVAPI_ENDPOINTS_MAX + 8);
        p.list.endpoints = take_u8(in) % 8 ? out : NULL;
        call(unix_get_endpoints, &p.list);
        break;
    case 1:
        /* Engines live as long as the process: a few are made, each one kept and run. */
        if (engine_count == ENGINES_MAX) break;
        list = take_u8(in) % 2;
        if (take_u8(in) % 4 && endpoint_count[list])
            memcpy(p.create.key, endpoints[list][take_u8(in) % endpoint_count[list]].key, sizeof(p.create.key));
        else take(in, p.create.key, take_u8(in) % (sizeof(p.create.key) + 1));
        p.create.flow = take_u32(in) % 5;
        take_format(in, &p.create.format, endpoint_count[list] ? &endpoints[list][0].format : engine_format(0));
        /* Process loopback's process and mode, now and then where the flow is another. */
        p.create.target_process_id = take_u8(in) % 4 ? take_u32(in) : 0;
        p.create.exclude_target = take_u8(in) % 3;
        call(unix_engine_create, &p.create);
        if (p.create.result == S_OK) keep_engine(p.create.engine, &p.create.format, TRUE);
        break;
    case 2:
        if (*stream_count == STREAMS_MAX) release_stream(streams, stream_count, take_u8(in) % STREAMS_MAX);
        p.stream.engine = pick_engine(in);
        take_format(in, &p.stream.format, engine_format(p.stream.engine));
        p.stream.flags = take_u8(in) & 1 ? take_u32(in) : take_u8(in) % 4;
        p.stream.buffer_frames = take_u8(in) & 1 ? take_u32(in) : take_u32(in) % 20000;
        p.stream.period_frames = take_u8(in) & 1 ? take_u32(in) : take_u32(in) % 2000;
        call(unix_stream_create, &p.stream);
        if (p.stream.result == S_OK)
        {
            streams[*stream_count].handle = p.stream.stream;
            streams[*stream_count].shared = p.stream.shared;
            /* What the engine wrote, read before any scribble can change it. */
            streams[*stream_count].buffer_frames = p.stream.shared->buffer_frames;
            streams[*stream_count].frame_bytes = p.stream.shared->frame_bytes;
            (*stream_count)++;
        }
        break;
    case 3:
        p.simple.stream = pick_stream(in, streams, *stream_count, &index);
        call(simple_calls[take_u8(in) % ARRAY_SIZE(simple_calls)], &p.simple);
        break;
    case 4:
        p.simple.stream = pick_stream(in, streams, *stream_count, &index);
        if (index < *stream_count) release_stream(streams, stream_count, index);
        else call(unix_stream_release, &p.simple);
        break;
    case 5:
        p.event.stream = pick_stream(in, streams, *stream_count, &index);
        p.event.event = take_u64(in);
        call(unix_stream_set_event, &p.event);
        break;
    case 6:
        p.rate.stream = pick_stream(in, streams, *stream_count, &index);
        p.rate.rate_millihz = take_u8(in) & 1 ? take_u64(in) : take_u32(in) % 200000000;
        call(unix_stream_set_rate, &p.rate);
        break;
    case 7:
        pick_stream(in, streams, *stream_count, &index);
        if (index < *stream_count) scribble(in, &streams[index]);
        break;
    case 8:
        p.period.engine = pick_engine(in);
        call(unix_engine_get_period, &p.period);
        p.peaks.engine = pick_engine(in);
        call(unix_engine_get_peaks, &p.peaks);
        break;
    case 9:
    case 10:
        list = take_u8(in) % 2;
        if (take_u8(in) % 4 && endpoint_count[list])
            memcpy(p.volume.key, endpoints[list][take_u8(in) % endpoint_count[list]].key, sizeof(p.volume.key));
        else take(in, p.volume.key, sizeof(p.volume.key));
        p.volume.flow = take_u8(in) & 1 ? take_u32(in) : list;
        take(in, &p.volume.volume, sizeof(p.volume.volume));
        call(take_u8(in) & 1 ? unix_endpoint_set_volume : unix_endpoint_get_volume, &p.volume);
        break;
    case 11:
        take(in, &p.program, sizeof(p.program));
        call(unix_set_program, &p.program);
        break;
    case 12:
        p.watch.timeout_ms = take_u8(in) % 3;
        call(unix_endpoints_watch, &p.watch);
        break;
    case 14:
        /* Other processes' sessions, and their volumes (the private server's only other
         * process is the harness's silent stream). */
        list = take_u8(in) % 2;
        if (take_u8(in) % 4 && endpoint_count[list])
            memcpy(p.sessions.key, endpoints[list][take_u8(in) % endpoint_count[list]].key, sizeof(p.sessions.key));
        else take(in, p.sessions.key, sizeof(p.sessions.key));
        p.sessions.flow = take_u8(in) & 1 ? take_u32(in) : list;
        if (take_u8(in) & 1)
        {
            call(unix_endpoint_sessions, &p.sessions);
            break;
        }
        memcpy(p.session_volume.key, p.sessions.key, sizeof(p.session_volume.key));
        p.session_volume.flow = p.sessions.flow;
        take(in, &p.session_volume.process_id, sizeof(p.session_volume.process_id));
        take(in, &p.session_volume.volume, sizeof(p.session_volume.volume));
        take(in, &p.session_volume.mute, sizeof(p.session_volume.mute));
        call(unix_endpoint_set_session_volume, &p.session_volume);
        break;
    case 13:
        p.move.stream = pick_stream(in, streams, *stream_count, &index);
        p.move.engine = pick_engine(in);
        call(unix_stream_move, &p.move);
        break;
    default:
        /* Only engines an input made may go: the three of the start keep the run useful. */
        p.gone.engine = pick_engine(in);
        for (index = 0; index < engine_count; index++)
            if (engines[index].handle == p.gone.engine && !engines[index].extra) return;
        call(unix_engine_device_gone, &p.gone);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stream_entry streams[STREAMS_MAX];
    struct input in = { data, size };
    unsigned int count = 0, ops;

    for (ops = 0; ops < OPS_MAX && in.size; ops++) run_op(&in, streams, &count);
    while (count) release_stream(streams, &count, count - 1);
    return 0;
}
