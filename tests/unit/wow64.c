/* The call table of 32-bit programs under Wine's new WoW64 (unixlib/wow64.c), driven as the
 * i686 PE side would drive it: every call once at least, with its params laid out as i686 lays
 * them out and pointers of 32 bits, against the real backend the harness started. The results
 * are checked against what the call means, and against the native table where both can answer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
extern const unixlib_entry_t __wine_unix_call_wow64_funcs[];

/* The params with pointers as i686 has them (checked against i686-w64-mingw32's layout); the
 * others have one layout for both and are the native structs. */
struct get_endpoints_params32
{
    UINT32 flow;
    UINT32 capacity;
    UINT32 endpoints;
    HRESULT result;
    UINT32 count;
    UINT32 default_index;
};
C_ASSERT(offsetof(struct get_endpoints_params32, default_index) == 20);

struct stream_create_params32
{
    UINT64 engine;
    struct endpoint_format format;
    UINT32 flags;
    UINT32 buffer_frames;
    UINT32 period_frames;
    HRESULT result;
    UINT64 stream;
    UINT32 shared;
};
C_ASSERT(offsetof(struct stream_create_params32, stream) == 48 && offsetof(struct stream_create_params32, shared) == 56);

static BOOL called[unix_call_count];

static NTSTATUS call32(enum mmdevapi_unix_call code, void *params)
{
    called[code] = TRUE;
    return __wine_unix_call_wow64_funcs[code](params);
}

static NTSTATUS call64(enum mmdevapi_unix_call code, void *params)
{
    return __wine_unix_call_funcs[code](params);
}

/* Memory a 32-bit program could own: below 2 GiB. */
static void *alloc32(size_t size)
{
    void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

    if (memory == MAP_FAILED || (ULONG_PTR)memory > 0x7fffffff)
    {
        printf("cannot allocate below 2 GiB\n");
        exit(99);
    }
    return memory;
}

static void test_table(void)
{
    unsigned int i;

    for (i = 0; i < unix_call_count; i++)
        if (!__wine_unix_call_wow64_funcs[i])
            UNIT_FAIL("call %u has no entry in __wine_unix_call_wow64_funcs: add it to WOW64_CALLS in unixlib/wow64.c", i);
}

static void test_attach(const char *backend)
{
    struct process_attach_params params;

    memset(&params, 0xcc, sizeof(params));
    params.has_request = 1;
    snprintf(params.request, sizeof(params.request), "%s", backend);
    CHECK(call32(unix_process_attach, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_STR(params.backend, backend);
}

/* The endpoints as the native table lists them, and the same through the 32-bit one; the default
 * one out. */
static void test_get_endpoints(enum mmdevapi_flow flow, struct endpoint_info *default_endpoint)
{
    struct endpoint_info *endpoints32 = alloc32(MMDEVAPI_ENDPOINTS_MAX * sizeof(*endpoints32));
    static struct endpoint_info endpoints64[MMDEVAPI_ENDPOINTS_MAX];
    struct get_endpoints_params params = { .flow = flow, .capacity = MMDEVAPI_ENDPOINTS_MAX, .endpoints = endpoints64 };
    struct get_endpoints_params32 params32;

    memset(endpoints64, 0, sizeof(endpoints64));
    call64(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, S_OK);

    memset(endpoints32, 0, MMDEVAPI_ENDPOINTS_MAX * sizeof(*endpoints32));
    memset(&params32, 0xcc, sizeof(params32));
    params32.flow = flow;
    params32.capacity = MMDEVAPI_ENDPOINTS_MAX;
    params32.endpoints = (UINT32)(ULONG_PTR)endpoints32;
    CHECK(call32(unix_get_endpoints, &params32) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params32.result, S_OK);
    CHECK_EQ_UINT(params32.count, params.count);
    CHECK_EQ_UINT(params32.default_index, params.default_index);
    CHECK(!memcmp(endpoints32, endpoints64, params.count * sizeof(*endpoints32)));
    if (default_endpoint && params32.default_index < params32.count)
        *default_endpoint = endpoints32[params32.default_index];

    /* The pointer is the program's: a null one with room asked is refused, nothing written. */
    params32.capacity = 1;
    params32.endpoints = 0;
    params32.count = 7;
    call32(unix_get_endpoints, &params32);
    CHECK_EQ_HEX(params32.result, E_INVALIDARG);
    CHECK_EQ_UINT(params32.count, 0);
    munmap(endpoints32, MMDEVAPI_ENDPOINTS_MAX * sizeof(*endpoints32));
}

static UINT64 test_engine(const struct endpoint_info *endpoint)
{
    struct engine_create_params create;
    struct engine_get_period_params period;
    struct engine_get_peaks_params peaks;
    struct engine_run_params run;
    struct engine_device_gone_params gone;

    memset(&create, 0, sizeof(create));
    memcpy(create.key, endpoint->key, sizeof(create.key));
    create.flow = MMDEVAPI_RENDER;
    create.format = endpoint->format;
    CHECK(call32(unix_engine_create, &create) == STATUS_SUCCESS);
    CHECK_EQ_HEX(create.result, S_OK);
    CHECK(create.engine != 0);
    CHECK_EQ_UINT(create.period_frames, endpoint->format.rate / 100);

    memset(&period, 0xcc, sizeof(period));
    period.engine = create.engine;
    CHECK(call32(unix_engine_get_period, &period) == STATUS_SUCCESS);
    CHECK_EQ_HEX(period.result, S_OK);
    CHECK_EQ_UINT(period.period_frames, create.period_frames);

    memset(&peaks, 0xcc, sizeof(peaks));
    peaks.engine = create.engine;
    CHECK(call32(unix_engine_get_peaks, &peaks) == STATUS_SUCCESS);
    CHECK_EQ_HEX(peaks.result, S_OK);
    CHECK_EQ_UINT(peaks.channels, endpoint->format.channels);
    CHECK_EQ_FLOAT(peaks.peaks[0], 0.0f);    /* nothing played */

    /* The engine's two threads live inside these calls; a handle of no engine returns at once,
     * which shows the handle and the result where the native entry reads and writes them. */
    run.engine = create.engine + 1;
    run.result = S_OK;
    CHECK(call32(unix_engine_run, &run) == STATUS_SUCCESS);
    CHECK_EQ_HEX(run.result, E_INVALIDARG);
    run.result = S_OK;
    CHECK(call32(unix_engine_signal, &run) == STATUS_SUCCESS);
    CHECK_EQ_HEX(run.result, E_INVALIDARG);
    gone.engine = create.engine + 1;
    gone.result = S_OK;
    CHECK(call32(unix_engine_device_gone, &gone) == STATUS_SUCCESS);
    CHECK_EQ_HEX(gone.result, E_INVALIDARG);
    return create.engine;
}

static void test_stream(UINT64 engine)
{
    struct stream_create_params32 create;
    struct stream_shared *shared;
    struct stream_params params;
    struct stream_set_event_params event;
    struct stream_set_rate_params rate;
    struct stream_move_params move;

    memset(&create, 0xcc, sizeof(create));
    create.engine = engine;
    create.format = (struct endpoint_format){ 44100, 2, 3, 16, 16, 0 };
    create.flags = MMDEVAPI_STREAM_AUTOCONVERT | MMDEVAPI_STREAM_RATEADJUST;
    create.buffer_frames = 4410;
    create.period_frames = 0;
    CHECK(call32(unix_stream_create, &create) == STATUS_SUCCESS);
    CHECK_EQ_HEX(create.result, S_OK);
    CHECK(create.stream != 0);
    /* The ring lies where the program's pointers reach, and is the stream's. */
    CHECK(create.shared != 0 && create.shared <= 0x7fffffff);
    if (!create.shared) return;
    shared = (struct stream_shared *)(ULONG_PTR)create.shared;
    CHECK_EQ_UINT(shared->buffer_frames, 4410);
    CHECK_EQ_UINT(shared->frame_bytes, 4);
    CHECK_EQ_FLOAT(shared->volumes[1], 1.0f);

    params.stream = create.stream;
    params.result = E_FAIL;
    CHECK(call32(unix_stream_start, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    params.result = E_FAIL;
    CHECK(call32(unix_stream_stop, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    params.result = E_FAIL;
    CHECK(call32(unix_stream_reset, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);

    event.stream = create.stream;
    event.event = 0;
    event.result = E_FAIL;
    CHECK(call32(unix_stream_set_event, &event) == STATUS_SUCCESS);
    CHECK_EQ_HEX(event.result, S_OK);

    rate.stream = create.stream;
    rate.rate_millihz = 44200000;
    rate.result = E_FAIL;
    CHECK(call32(unix_stream_set_rate, &rate) == STATUS_SUCCESS);
    CHECK_EQ_HEX(rate.result, S_OK);

    move.stream = create.stream;
    move.engine = engine;
    move.result = E_FAIL;
    CHECK(call32(unix_stream_move, &move) == STATUS_SUCCESS);
    CHECK_EQ_HEX(move.result, S_OK);

    params.result = E_FAIL;
    CHECK(call32(unix_stream_release, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    call32(unix_stream_release, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    /* A refused stream has neither handle nor ring. */
    create.buffer_frames = 0;
    create.stream = create.shared = 0xcccccccc;
    call32(unix_stream_create, &create);
    CHECK_EQ_HEX(create.result, E_INVALIDARG);
    CHECK_EQ_UINT(create.stream, 0);
    CHECK_EQ_UINT(create.shared, 0);
}

static void test_program(void)
{
    struct set_program_params params;

    memset(&params, 0, sizeof(params));
    strcpy(params.name, "wow64 test");
    params.process_id = 32;
    params.ancestor_count = 2;
    params.ancestors[0] = 16;
    params.ancestors[1] = 8;
    params.result = E_FAIL;
    CHECK(call32(unix_set_program, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    params.ancestor_count = MMDEVAPI_ANCESTORS_MAX + 1;
    CHECK(call32(unix_set_program, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);
}

/* Process loopback's engine through the 32-bit table: made where the backend can (pulse), its
 * process and mode read where the 64-bit table reads them. */
static void test_process_loopback(const char *backend, const struct endpoint_info *endpoint)
{
    struct engine_create_params create;

    memset(&create, 0, sizeof(create));
    memcpy(create.key, endpoint->key, sizeof(create.key));
    create.flow = MMDEVAPI_PROCESS_LOOPBACK;
    create.format = endpoint->format;
    create.target_process_id = 32;
    create.exclude_target = 2;
    CHECK(call32(unix_engine_create, &create) == STATUS_SUCCESS);
    CHECK_EQ_HEX(create.result, E_INVALIDARG);
    create.exclude_target = 1;
    CHECK(call32(unix_engine_create, &create) == STATUS_SUCCESS);
    CHECK_EQ_HEX(create.result, !strcmp(backend, "pulse") ? S_OK : E_NOTIMPL);
    CHECK(!strcmp(backend, "pulse") ? create.engine != 0 : create.engine == 0);
}

/* Other processes' sessions through both tables: the same answer; a volume set is checked there too. */
static void test_sessions(const struct endpoint_info *endpoint)
{
    static struct endpoint_sessions_params params32, params64;
    struct endpoint_session_volume_params volume;

    memset(&params64, 0, sizeof(params64));
    memcpy(params64.key, endpoint->key, sizeof(params64.key));
    params64.flow = MMDEVAPI_RENDER;
    params32 = params64;
    call64(unix_endpoint_sessions, &params64);
    CHECK(call32(unix_endpoint_sessions, &params32) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params32.result, params64.result);
    CHECK_EQ_UINT(params32.count, params64.count);
    CHECK(!memcmp(params32.sessions, params64.sessions, sizeof(params32.sessions)));

    /* Nobody's volume is set: no process has Unix id 0. */
    memset(&volume, 0, sizeof(volume));
    memcpy(volume.key, endpoint->key, sizeof(volume.key));
    volume.volume = 0.5f;
    volume.result = S_OK;
    CHECK(call32(unix_endpoint_set_session_volume, &volume) == STATUS_SUCCESS);
    CHECK_EQ_HEX(volume.result, E_INVALIDARG);
}

/* The endpoint's volume through both tables: the same answer, and set back as it was. */
static void test_volume(const struct endpoint_info *endpoint)
{
    struct endpoint_volume_params params32, params64;
    struct endpoints_watch_params wait;

    memset(&params64, 0, sizeof(params64));
    memcpy(params64.key, endpoint->key, sizeof(params64.key));
    params64.flow = MMDEVAPI_RENDER;
    params64.volume.channels = endpoint->format.channels;
    params32 = params64;
    call64(unix_endpoint_get_volume, &params64);
    CHECK_EQ_HEX(params64.result, S_OK);
    CHECK(call32(unix_endpoint_get_volume, &params32) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params32.result, params64.result);
    CHECK(!memcmp(&params32.volume, &params64.volume, sizeof(params32.volume)));

    params32.result = E_FAIL;
    CHECK(call32(unix_endpoint_set_volume, &params32) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params32.result, S_OK);
    params32.volume.levels[0] = 2.0f;    /* above 0 dB: refused */
    call32(unix_endpoint_set_volume, &params32);
    CHECK_EQ_HEX(params32.result, E_INVALIDARG);

    /* Our own set may wake it (S_OK); nothing else may come but the timeout (S_FALSE). */
    wait.timeout_ms = 10;
    wait.result = E_FAIL;
    CHECK(call32(unix_endpoints_watch, &wait) == STATUS_SUCCESS);
    CHECK(wait.result == S_OK || wait.result == S_FALSE);
}

static void test_coverage(void)
{
    unsigned int i;

    for (i = 0; i < unix_call_count; i++)
        if (!called[i]) UNIT_FAIL("call %u is not driven through the 32-bit table: add it to tests/unit/wow64.c", i);
}

int main(void)
{
    const char *backend = unit_backend();
    struct endpoint_info endpoint;
    UINT64 engine;

    if (!backend || !strcmp(backend, "none"))
    {
        fprintf(stderr, "run me through tests/harness/run-test with a backend that plays\n");
        return 77;
    }
    test_table();
    if (unit_failures) return unit_summary("wow64");
    test_attach(backend);
    test_get_endpoints(MMDEVAPI_CAPTURE, NULL);
    memset(&endpoint, 0, sizeof(endpoint));
    test_get_endpoints(MMDEVAPI_RENDER, &endpoint);
    CHECK(endpoint.format.rate != 0);    /* a default render endpoint to play on */
    if ((engine = test_engine(&endpoint)))
        test_stream(engine);
    test_program();
    test_process_loopback(backend, &endpoint);
    test_volume(&endpoint);
    test_sessions(&endpoint);
    test_coverage();
    return unit_summary("wow64");
}
