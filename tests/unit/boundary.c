/* Layer 2: the call table of the Linux side, called as the PE side calls it, against the real
 * backend the harness started, with hostile parameters as well as good ones. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winerror.h>
#include <audioclient.h>

#include "mmdevapi_unix.h"
#include "mmdevapi_ring.h"
#include "unit.h"

extern const unixlib_entry_t __wine_unix_call_funcs[];

static NTSTATUS call(enum mmdevapi_unix_call code, void *params)
{
    return __wine_unix_call_funcs[code](params);
}

static void attach(const char *request)
{
    struct process_attach_params params;

    memset(&params, 0xcc, sizeof(params));    /* garbage everywhere the caller does not write */
    params.has_request = request != NULL;
    if (request) snprintf(params.request, sizeof(params.request), "%s", request);
    CHECK(call(unix_process_attach, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK(memchr(params.backend, 0, sizeof(params.backend)) != NULL);
}

static void test_attach_requests(const char *backend)
{
    struct process_attach_params params;

    /* Wine's value may name backends we lack, in any order; "" means no audio at all. */
    memset(&params, 0, sizeof(params));
    params.has_request = 1;
    snprintf(params.request, sizeof(params.request), "oss, coreaudio,%s", backend);
    call(unix_process_attach, &params);
    CHECK_EQ_STR(params.backend, backend);

    memset(&params, 0, sizeof(params));
    params.has_request = 1;
    call(unix_process_attach, &params);
    CHECK_EQ_STR(params.backend, "");

    /* A request that fills its buffer with no terminator must not be read past its end. */
    memset(&params, 'x', sizeof(params));
    params.has_request = 1;
    call(unix_process_attach, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_STR(params.backend, "");
}

static void test_hostile_get_endpoints(void)
{
    struct endpoint_info endpoints[2];
    struct get_endpoints_params params;

    memset(&params, 0, sizeof(params));
    params.flow = 2;    /* eAll is not a flow the Linux side lists */
    params.capacity = 2;
    params.endpoints = endpoints;
    CHECK(call(unix_get_endpoints, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);
    CHECK_EQ_UINT(params.count, 0);

    params.flow = 0xffffffff;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    params.flow = MMDEVAPI_RENDER;
    params.capacity = MMDEVAPI_ENDPOINTS_MAX + 1;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    params.capacity = 0xffffffff;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    params.capacity = 1;
    params.endpoints = NULL;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    /* No room: nothing written, no default. */
    params.capacity = 0;
    params.default_index = 7;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_UINT(params.count, 0);
    CHECK_EQ_UINT(params.default_index, MMDEVAPI_NO_DEFAULT);
}

/* "float32:48000:2" as the harness describes the endpoint it set up. */
static void check_format(const struct endpoint_format *format, const char *expected)
{
    char type[16];
    unsigned int rate, channels;

    if (!expected || sscanf(expected, "%15[^:]:%u:%u", type, &rate, &channels) != 3)
    {
        printf("skip: no expected format\n");
        return;
    }
    CHECK_EQ_UINT(format->rate, rate);
    CHECK_EQ_UINT(format->channels, channels);
    CHECK_EQ_UINT(format->is_float, !strcmp(type, "float32"));
    CHECK_EQ_UINT(format->bits, !strcmp(type, "s16") ? 16 : 32);
    CHECK_EQ_UINT(format->valid_bits, format->bits);
    CHECK_EQ_HEX(format->channel_mask, channels == 1 ? 0x4 : 0x3);
}

static void test_endpoints(enum mmdevapi_flow flow, const char *name, const char *format)
{
    struct endpoint_info endpoints[MMDEVAPI_ENDPOINTS_MAX];
    /* The harness's capture feed is a capture endpoint of its own where it has a name of its own. */
    const char *feed = getenv("MMDEVAPI_TEST_FEED_NAME");
    UINT32 expected = 1 + (flow == MMDEVAPI_CAPTURE && feed && strcmp(feed, name));
    struct get_endpoints_params params;
    const struct endpoint_info *info;

    memset(endpoints, 0xcc, sizeof(endpoints));
    memset(&params, 0, sizeof(params));
    params.flow = flow;
    params.capacity = MMDEVAPI_ENDPOINTS_MAX;
    params.endpoints = endpoints;
    CHECK(call(unix_get_endpoints, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_UINT(params.count, expected);
    CHECK_EQ_UINT(params.default_index, 0);
    if (params.count < 1) return;
    info = &endpoints[params.default_index];
    CHECK(memchr(info->key, 0, sizeof(info->key)) != NULL);
    CHECK(memchr(info->name, 0, sizeof(info->name)) != NULL);
    CHECK_EQ_STR(info->name, name);
    CHECK_EQ_UINT(info->form_factor, flow == MMDEVAPI_RENDER ? 1 : 4);    /* Speakers, Microphone */
    check_format(&info->format, format);

    /* One slot for more endpoints than that: the list is cut, never overrun. */
    memset(endpoints, 0xcc, sizeof(endpoints));
    params.capacity = 1;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK(params.count <= 1);
    CHECK_EQ_UINT(endpoints[1].form_factor, 0xcccccccc);
}

/* An engine on the default render endpoint, as the PE side makes it. */
static UINT64 create_engine(void)
{
    struct endpoint_info endpoints[MMDEVAPI_ENDPOINTS_MAX];
    struct get_endpoints_params list = { .flow = MMDEVAPI_RENDER, .capacity = MMDEVAPI_ENDPOINTS_MAX,
                                         .endpoints = endpoints };
    struct engine_create_params params;

    call(unix_get_endpoints, &list);
    if (list.default_index >= list.count) return 0;
    memset(&params, 0, sizeof(params));
    memcpy(params.key, endpoints[list.default_index].key, sizeof(params.key));
    params.flow = MMDEVAPI_RENDER;
    params.format = endpoints[list.default_index].format;
    CHECK(call(unix_engine_create, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_UINT(params.period_frames, params.format.rate / 100);
    CHECK(params.min_period_frames && params.min_period_frames <= params.period_frames);
    /* IAudioClient3's smallest period: 128 frames (2.67 ms) at 48 kHz. */
    if (params.format.rate == 48000) CHECK_EQ_UINT(params.min_period_frames, 128);
    return params.engine;
}

static void test_hostile_engine_create(void)
{
    struct engine_create_params params;
    static const struct endpoint_format bad_formats[] =
    {
        { 0, 2, 3, 32, 32, 1 },             /* no rate */
        { 48000, 0, 0, 32, 32, 1 },         /* no channels */
        { 48000, 19, 0, 32, 32, 1 },        /* more channels than speakers */
        { 48000, 2, 3, 12, 12, 0 },         /* not whole bytes */
        { 48000, 2, 3, 16, 24, 0 },         /* more valid bits than the container */
        { 48000, 2, 3, 16, 16, 1 },         /* 16-bit float */
        { 0xffffffff, 2, 3, 32, 32, 1 },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(bad_formats); i++)
    {
        memset(&params, 0, sizeof(params));
        strcpy(params.key, "default");
        params.format = bad_formats[i];
        call(unix_engine_create, &params);
        CHECK_EQ_HEX(params.result, E_INVALIDARG);
        CHECK_EQ_UINT(params.engine, 0);
    }
    /* A key with no terminator, and a flow that is no flow. */
    memset(&params, 'k', sizeof(params));
    params.flow = 7;
    call(unix_engine_create, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);
}

/* The engine's long-running calls (its mix and its events threads) and its period refuse, at
 * once, handles that name no engine. */
static void test_hostile_engine_calls(void)
{
    static const enum mmdevapi_unix_call calls[] = { unix_engine_run, unix_engine_signal };
    static const UINT64 bad_handles[] = { 0, 1, 0xffffffff, 0xdeadbeefdeadbeefull };
    struct engine_get_period_params period;
    struct engine_run_params run;
    size_t i, j;

    for (i = 0; i < ARRAY_SIZE(bad_handles); i++)
    {
        for (j = 0; j < ARRAY_SIZE(calls); j++)
        {
            run.engine = bad_handles[i];
            run.result = S_OK;
            CHECK(call(calls[j], &run) == STATUS_SUCCESS);
            CHECK_EQ_HEX(run.result, E_INVALIDARG);
        }
        memset(&period, 0, sizeof(period));
        period.engine = bad_handles[i];
        call(unix_engine_get_period, &period);
        CHECK_EQ_HEX(period.result, E_INVALIDARG);
    }
}

static void test_hostile_streams(UINT64 engine)
{
    struct endpoint_format format = { 48000, 2, 3, 16, 16, 0 };
    struct stream_create_params create;
    struct stream_params params;
    struct stream_set_event_params event;
    struct stream_set_rate_params rate;
    struct stream_move_params move;
    static const UINT64 bad_handles[] = { 0, 1, 0xffffffff, 0xdeadbeefdeadbeefull, 4097 };
    enum mmdevapi_unix_call simple[] = { unix_stream_start, unix_stream_stop, unix_stream_reset, unix_stream_release };
    size_t i, j;

    /* Streams on an engine that is not one, with sizes and flags that are not allowed. */
    for (i = 0; i < ARRAY_SIZE(bad_handles); i++)
    {
        memset(&create, 0, sizeof(create));
        create.engine = bad_handles[i];
        create.format = format;
        create.buffer_frames = 4800;
        call(unix_stream_create, &create);
        CHECK_EQ_HEX(create.result, E_INVALIDARG);
        CHECK(!create.stream && !create.shared);
    }
    memset(&create, 0, sizeof(create));
    create.engine = engine;
    create.format = format;
    create.buffer_frames = 0;
    call(unix_stream_create, &create);
    CHECK_EQ_HEX(create.result, E_INVALIDARG);
    create.buffer_frames = 0xffffffff;
    call(unix_stream_create, &create);
    CHECK_EQ_HEX(create.result, E_INVALIDARG);
    create.buffer_frames = 4800;
    create.flags = 0x80000000;
    call(unix_stream_create, &create);
    CHECK_EQ_HEX(create.result, E_INVALIDARG);

    /* Every stream call refuses handles that name no stream: made up, or released. */
    create.flags = 0;
    call(unix_stream_create, &create);
    CHECK_EQ_HEX(create.result, S_OK);
    CHECK(create.stream && create.shared);
    CHECK_EQ_UINT(create.shared->buffer_frames, 4800);
    params.stream = create.stream;
    call(unix_stream_release, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    for (i = 0; i <= ARRAY_SIZE(bad_handles); i++)
    {
        UINT64 handle = i < ARRAY_SIZE(bad_handles) ? bad_handles[i] : create.stream;

        for (j = 0; j < ARRAY_SIZE(simple); j++)
        {
            params.stream = handle;
            params.result = S_OK;
            call(simple[j], &params);
            CHECK_EQ_HEX(params.result, E_INVALIDARG);
        }
        event.stream = handle;
        event.event = 0x1234;
        call(unix_stream_set_event, &event);
        CHECK_EQ_HEX(event.result, E_INVALIDARG);
        rate.stream = handle;
        rate.rate_millihz = 44100000;
        call(unix_stream_set_rate, &rate);
        CHECK_EQ_HEX(rate.result, E_INVALIDARG);
        move.stream = handle;
        move.engine = engine;
        call(unix_stream_move, &move);
        CHECK_EQ_HEX(move.result, E_INVALIDARG);
    }
    /* An engine handle is not a stream handle, nor a stream's an engine's. */
    params.stream = engine;
    call(unix_stream_start, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);
    call(unix_stream_create, &create);
    CHECK_EQ_HEX(create.result, S_OK);
    for (i = 0; i <= ARRAY_SIZE(bad_handles); i++)
    {
        move.stream = create.stream;
        move.engine = i < ARRAY_SIZE(bad_handles) ? bad_handles[i] : create.stream;
        call(unix_stream_move, &move);
        CHECK_EQ_HEX(move.result, E_INVALIDARG);
    }
    /* Into its own engine: nothing to do. */
    move.engine = engine;
    call(unix_stream_move, &move);
    CHECK_EQ_HEX(move.result, S_OK);
    params.stream = create.stream;
    call(unix_stream_release, &params);
    CHECK_EQ_HEX(params.result, S_OK);
}

/* Other processes' sessions: a flow that is neither, an unterminated or unknown key, levels outside
 * 0..1 or NaN, no process. */
static void test_hostile_sessions(const char *backend)
{
    static struct endpoint_sessions_params list;
    struct endpoint_session_volume_params set;
    static const UINT32 bad_flows[] = { MMDEVAPI_LOOPBACK, 3, 0xffffffff };
    static const float bad_levels[] = { -0.001f, 1.001f, NAN, INFINITY };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(bad_flows); i++)
    {
        memset(&list, 0xcc, sizeof(list));
        list.flow = bad_flows[i];
        call(unix_endpoint_sessions, &list);
        CHECK_EQ_HEX(list.result, E_INVALIDARG);
        CHECK_EQ_UINT(list.count, 0);
    }
    memset(&list, 'x', sizeof(list));
    list.flow = MMDEVAPI_RENDER;
    call(unix_endpoint_sessions, &list);
    CHECK_EQ_HEX(list.result, S_OK);
    CHECK_EQ_UINT(list.count, 0);

    memset(&set, 'x', sizeof(set));
    set.flow = MMDEVAPI_RENDER;
    set.process_id = 1;
    set.mute = 0;
    for (i = 0; i < ARRAY_SIZE(bad_levels); i++)
    {
        set.volume = bad_levels[i];
        call(unix_endpoint_set_session_volume, &set);
        CHECK_EQ_HEX(set.result, E_INVALIDARG);
    }
    set.volume = 0.5f;
    set.process_id = 0;
    call(unix_endpoint_set_session_volume, &set);
    CHECK_EQ_HEX(set.result, E_INVALIDARG);
    set.process_id = 1;
    set.flow = MMDEVAPI_LOOPBACK;
    call(unix_endpoint_set_session_volume, &set);
    CHECK_EQ_HEX(set.result, E_INVALIDARG);
    /* No such endpoint: gone where the backend shows sessions, else not there to set. */
    set.flow = MMDEVAPI_CAPTURE;
    call(unix_endpoint_set_session_volume, &set);
    CHECK_EQ_HEX(set.result, !strcmp(backend, "alsa") ? E_NOTIMPL : AUDCLNT_E_DEVICE_INVALIDATED);
}

/* Process loopback's engine: a process id for that flow alone, a mode of 0 or 1; made where the
 * backend can tell whose a stream is (pulse), E_NOTIMPL elsewhere. And the ancestors of the program. */
static void test_process_loopback(const char *backend)
{
    struct endpoint_info endpoints[MMDEVAPI_ENDPOINTS_MAX];
    struct get_endpoints_params list = { .flow = MMDEVAPI_RENDER, .capacity = MMDEVAPI_ENDPOINTS_MAX,
                                         .endpoints = endpoints };
    struct engine_create_params params;
    struct set_program_params program;
    static const struct { UINT32 flow, target, exclude; } bad[] =
    {
        { MMDEVAPI_PROCESS_LOOPBACK, 0, 0 },        /* no process */
        { MMDEVAPI_PROCESS_LOOPBACK, 42, 2 },       /* no such mode */
        { MMDEVAPI_PROCESS_LOOPBACK, 42, 0xffffffff },
        { MMDEVAPI_LOOPBACK, 42, 0 },               /* a process for another flow */
        { MMDEVAPI_RENDER, 0, 1 },
        { 4, 42, 0 },
    };
    size_t i;

    call(unix_get_endpoints, &list);
    if (list.default_index >= list.count) return;
    for (i = 0; i < ARRAY_SIZE(bad); i++)
    {
        memset(&params, 0, sizeof(params));
        memcpy(params.key, endpoints[list.default_index].key, sizeof(params.key));
        params.format = endpoints[list.default_index].format;
        params.flow = bad[i].flow;
        params.target_process_id = bad[i].target;
        params.exclude_target = bad[i].exclude;
        params.engine = 0xcccccccc;
        call(unix_engine_create, &params);
        CHECK_EQ_HEX(params.result, E_INVALIDARG);
        CHECK_EQ_UINT(params.engine, 0);
    }
    memset(&params, 0, sizeof(params));
    memcpy(params.key, endpoints[list.default_index].key, sizeof(params.key));
    params.format = endpoints[list.default_index].format;
    params.flow = MMDEVAPI_PROCESS_LOOPBACK;
    params.target_process_id = 0xffffffff;
    params.exclude_target = 1;
    call(unix_engine_create, &params);
    CHECK_EQ_HEX(params.result, !strcmp(backend, "pulse") ? S_OK : E_NOTIMPL);
    CHECK(!strcmp(backend, "pulse") ? params.engine != 0 : params.engine == 0);

    memset(&program, 'x', sizeof(program));
    program.ancestor_count = MMDEVAPI_ANCESTORS_MAX + 1;
    call(unix_set_program, &program);
    CHECK_EQ_HEX(program.result, E_INVALIDARG);
    program.ancestor_count = 0xffffffff;
    call(unix_set_program, &program);
    CHECK_EQ_HEX(program.result, E_INVALIDARG);
    program.ancestor_count = MMDEVAPI_ANCESTORS_MAX;
    call(unix_set_program, &program);
    CHECK_EQ_HEX(program.result, S_OK);
}

static void test_unreachable(void)
{
    struct endpoint_info endpoints[4];
    struct get_endpoints_params params = { .flow = MMDEVAPI_RENDER, .capacity = 4, .endpoints = endpoints };

    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_UINT(params.count, 0);
    CHECK_EQ_UINT(params.default_index, MMDEVAPI_NO_DEFAULT);
}

int main(void)
{
    const char *backend = unit_backend();
    UINT64 engine;

    if (!backend)
    {
        fprintf(stderr, "run me through tests/harness/run-test\n");
        return 77;
    }
    test_hostile_get_endpoints();
    if (!strcmp(backend, "none"))
    {
        attach("pulse");
        test_unreachable();
        attach(NULL);
        test_unreachable();
    }
    else
    {
        test_attach_requests(backend);
        attach(backend);
        test_endpoints(MMDEVAPI_RENDER, getenv("MMDEVAPI_TEST_RENDER_NAME"), getenv("MMDEVAPI_TEST_RENDER_FORMAT"));
        test_endpoints(MMDEVAPI_CAPTURE, getenv("MMDEVAPI_TEST_CAPTURE_NAME"), getenv("MMDEVAPI_TEST_CAPTURE_FORMAT"));
        test_hostile_engine_create();
        test_hostile_engine_calls();
        if ((engine = create_engine())) test_hostile_streams(engine);
        test_hostile_sessions(backend);
        test_process_loopback(backend);
    }
    return unit_summary("boundary");
}
