/* The call table of mmdevapi.so: checks what crosses from the PE side, then dispatches. */
#include <stdarg.h>
#include <string.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winternl.h>
#include <winerror.h>
#include <audioclient.h>
#include <wine/debug.h>

#include <pthread.h>
#include <time.h>

#include "backend.h"
#include "engine/engine.h"
#include "engine/capture.h"
#include "engine/endpoint_gain.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

/* In the order tried when the user names none. A PipeWire daemon is served through its Pulse
 * server unless the user asks for "pipewire": the native backend still stalls now and then in
 * the test suite (tests/meson.build, pipewire_todo). */
static const struct backend_ops *const backends[] =
{
#ifdef HAVE_PULSE
    &pulse_backend,
#endif
#ifdef HAVE_PIPEWIRE
    &pipewire_backend,
#endif
#ifdef HAVE_ALSA
    &alsa_backend,
#endif
};

static const struct backend_ops *backend;

static const struct backend_ops *find_backend(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(backends); i++)
        if (strlen(backends[i]->name) == len && !strncmp(backends[i]->name, name, len))
            return backends[i];
    return NULL;
}

/* The first backend of a comma-separated list that answers; names we lack are skipped. */
static const struct backend_ops *choose_backend(const char *request)
{
    const struct backend_ops *candidate;
    const char *name = request, *end;

    while (*name)
    {
        end = strchr(name, ',');
        if (!end) end = name + strlen(name);
        while (name < end && *name == ' ') name++;
        if ((candidate = find_backend(name, end - name)) && candidate->probe())
            return candidate;
        if (!candidate) WINE_WARN("unknown audio backend %s\n", wine_dbgstr_an(name, end - name));
        name = *end ? end + 1 : end;
    }
    return NULL;
}

static NTSTATUS process_attach(void *args)
{
    struct process_attach_params *params = args;
    char request[MMDEVAPI_BACKEND_REQUEST_MAX];
    size_t i;

    memcpy(request, params->request, sizeof(request));
    request[sizeof(request) - 1] = 0;

    backend = NULL;
    if (params->has_request)
        backend = choose_backend(request);
    else
        for (i = 0; i < ARRAY_SIZE(backends) && !backend; i++)
            if (backends[i]->probe()) backend = backends[i];

    WINE_TRACE("requested %s, chose %s\n", params->has_request ? wine_dbgstr_a(request) : "(default)",
               backend ? backend->name : "no backend");
    endpoint_set_text(params->backend, sizeof(params->backend), backend ? backend->name : "");
    params->result = S_OK;
    return STATUS_SUCCESS;
}

static NTSTATUS get_endpoints(void *args)
{
    struct get_endpoints_params *params = args;
    UINT32 capacity = params->capacity, flow = params->flow, default_index = MMDEVAPI_NO_DEFAULT;
    struct endpoint_info *endpoints = params->endpoints;

    params->count = 0;
    params->default_index = MMDEVAPI_NO_DEFAULT;
    if ((flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE) || capacity > MMDEVAPI_ENDPOINTS_MAX
        || (capacity && !endpoints))
    {
        params->result = E_INVALIDARG;
        return STATUS_SUCCESS;
    }
    if (backend)
    {
        params->count = backend->list_endpoints(flow, endpoints, capacity, &default_index);
        if (params->count > capacity) params->count = capacity;
        if (default_index < params->count) params->default_index = default_index;
    }
    params->result = S_OK;
    return STATUS_SUCCESS;
}

/* Engines and streams cross the boundary as handles: an index into this table and a generation,
 * so that a stale or made-up handle is refused instead of followed. */
#define HANDLES_MAX 4096

/* Render engines and streams, and capture (and loopback) ones: one call code serves both kinds. */
enum handle_type { HANDLE_FREE, HANDLE_ENGINE, HANDLE_STREAM, HANDLE_CAPTURE_ENGINE, HANDLE_CAPTURE_STREAM };

static struct
{
    enum handle_type type;
    UINT32 generation;
    void *object;
} handles[HANDLES_MAX];
static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;

static UINT64 handle_alloc(enum handle_type type, void *object)
{
    UINT64 handle = 0;
    UINT32 i;

    pthread_mutex_lock(&handles_lock);
    for (i = 0; i < HANDLES_MAX; i++)
        if (handles[i].type == HANDLE_FREE)
        {
            handles[i].type = type;
            handles[i].object = object;
            handle = ((UINT64)++handles[i].generation << 32) | (i + 1);
            break;
        }
    pthread_mutex_unlock(&handles_lock);
    return handle;
}

static void *handle_get(UINT64 handle, enum handle_type type)
{
    UINT32 index = (UINT32)handle - 1, generation = handle >> 32;
    void *object = NULL;

    if (index >= HANDLES_MAX) return NULL;
    pthread_mutex_lock(&handles_lock);
    if (handles[index].type == type && handles[index].generation == generation) object = handles[index].object;
    pthread_mutex_unlock(&handles_lock);
    return object;
}

static void *handle_free(UINT64 handle, enum handle_type type)
{
    UINT32 index = (UINT32)handle - 1, generation = handle >> 32;
    void *object = NULL;

    if (index >= HANDLES_MAX) return NULL;
    pthread_mutex_lock(&handles_lock);
    if (handles[index].type == type && handles[index].generation == generation)
    {
        object = handles[index].object;
        handles[index].type = HANDLE_FREE;
    }
    pthread_mutex_unlock(&handles_lock);
    return object;
}

static BOOL valid_format(const struct endpoint_format *format)
{
    return format->rate >= 1000 && format->rate <= 768000 && format->channels >= 1
           && format->channels <= MMDEVAPI_MAX_CHANNELS && format->bits && format->bits <= 32 && !(format->bits % 8)
           && format->valid_bits && format->valid_bits <= format->bits && (!format->is_float || format->bits == 32);
}

static NTSTATUS engine_create_call(void *args)
{
    struct engine_create_params *params = args;
    struct endpoint_format format = params->format;
    struct capture_engine *capture;
    struct engine *engine;
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    UINT32 flow = params->flow, target = params->target_process_id, exclude = params->exclude_target;

    memcpy(key, params->key, sizeof(key));
    key[sizeof(key) - 1] = 0;
    params->engine = 0;
    if (!backend) params->result = AUDCLNT_E_DEVICE_INVALIDATED;
    else if ((flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE && flow != MMDEVAPI_LOOPBACK
              && flow != MMDEVAPI_PROCESS_LOOPBACK)
             || !valid_format(&format) || exclude > 1 || (flow == MMDEVAPI_PROCESS_LOOPBACK) != !!target
             || (flow != MMDEVAPI_PROCESS_LOOPBACK && exclude))
        params->result = E_INVALIDARG;
    else if (flow != MMDEVAPI_RENDER)
    {
        if (SUCCEEDED(params->result = capture_engine_create(backend, key, flow, &format, target, exclude, &capture)))
        {
            params->period_frames = params->min_period_frames = capture_engine_period(capture);
            if (!(params->engine = handle_alloc(HANDLE_CAPTURE_ENGINE, capture))) params->result = E_OUTOFMEMORY;
        }
    }
    else if (SUCCEEDED(params->result = engine_create(backend, key, flow, &format, &engine)))
    {
        params->period_frames = engine_default_period(engine);
        params->min_period_frames = engine_min_period(engine);
        if (!(params->engine = handle_alloc(HANDLE_ENGINE, engine))) params->result = E_OUTOFMEMORY;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS engine_run_call(void *args)
{
    struct engine_run_params *params = args;
    struct engine *engine = handle_get(params->engine, HANDLE_ENGINE);
    struct capture_engine *capture;

    if (engine) params->result = engine_run(engine);
    else if ((capture = handle_get(params->engine, HANDLE_CAPTURE_ENGINE))) params->result = capture_engine_run(capture);
    else params->result = E_INVALIDARG;
    return STATUS_SUCCESS;
}

static NTSTATUS engine_signal_call(void *args)
{
    struct engine_run_params *params = args;
    struct engine *engine = handle_get(params->engine, HANDLE_ENGINE);
    struct capture_engine *capture;

    if (engine) params->result = engine_signal_run(engine);
    else if ((capture = handle_get(params->engine, HANDLE_CAPTURE_ENGINE)))
        params->result = capture_engine_signal_run(capture);
    else params->result = E_INVALIDARG;
    return STATUS_SUCCESS;
}

static NTSTATUS engine_device_gone_call(void *args)
{
    struct engine_device_gone_params *params = args;
    struct engine *engine = handle_get(params->engine, HANDLE_ENGINE);
    struct capture_engine *capture = engine ? NULL : handle_get(params->engine, HANDLE_CAPTURE_ENGINE);

    if (engine) engine_device_gone(engine);
    else if (capture) capture_engine_device_gone(capture);
    params->result = engine || capture ? S_OK : E_INVALIDARG;
    return STATUS_SUCCESS;
}

static NTSTATUS engine_get_period_call(void *args)
{
    struct engine_get_period_params *params = args;
    struct engine *engine = handle_get(params->engine, HANDLE_ENGINE);
    struct capture_engine *capture = engine ? NULL : handle_get(params->engine, HANDLE_CAPTURE_ENGINE);

    params->period_frames = engine ? engine_current_period(engine) : capture ? capture_engine_period(capture) : 0;
    params->result = engine || capture ? S_OK : E_INVALIDARG;
    return STATUS_SUCCESS;
}

static NTSTATUS stream_create_call(void *args)
{
    struct stream_create_params *params = args;
    struct engine *engine = handle_get(params->engine, HANDLE_ENGINE);
    struct capture_engine *capture = engine ? NULL : handle_get(params->engine, HANDLE_CAPTURE_ENGINE);
    struct endpoint_format format = params->format;
    UINT32 buffer_frames = params->buffer_frames;
    struct capture_stream *capture_stream;
    struct engine_stream *stream;

    params->stream = 0;
    params->shared = NULL;
    /* At most 2^24 frames: over five minutes at 48 kHz, as much as Windows gives. */
    if ((!engine && !capture) || !valid_format(&format)
        || (params->flags & ~(MMDEVAPI_STREAM_AUTOCONVERT | MMDEVAPI_STREAM_RATEADJUST))
        || !buffer_frames || buffer_frames > (1u << 24))
        params->result = E_INVALIDARG;
    else if (capture)
    {
        if (SUCCEEDED(params->result = capture_stream_create(capture, &format, buffer_frames, &capture_stream)))
        {
            if ((params->stream = handle_alloc(HANDLE_CAPTURE_STREAM, capture_stream)))
                params->shared = capture_stream_shared(capture_stream);
            else
            {
                capture_stream_release(capture_stream);
                params->result = E_OUTOFMEMORY;
            }
        }
    }
    else if (SUCCEEDED(params->result = engine_stream_create(engine, &format, params->flags, buffer_frames,
                                                                 params->period_frames, &stream)))
    {
        if ((params->stream = handle_alloc(HANDLE_STREAM, stream))) params->shared = engine_stream_shared(stream);
        else
        {
            engine_stream_release(stream);
            params->result = E_OUTOFMEMORY;
        }
    }
    return STATUS_SUCCESS;
}

static NTSTATUS stream_release_call(void *args)
{
    struct stream_params *params = args;
    struct engine_stream *stream = handle_free(params->stream, HANDLE_STREAM);
    struct capture_stream *capture = stream ? NULL : handle_free(params->stream, HANDLE_CAPTURE_STREAM);

    if (stream) engine_stream_release(stream);
    if (capture) capture_stream_release(capture);
    params->result = stream || capture ? S_OK : E_INVALIDARG;
    return STATUS_SUCCESS;
}

static NTSTATUS stream_simple_call(void *args, HRESULT (*call)(struct engine_stream *),
                                   HRESULT (*capture_call)(struct capture_stream *))
{
    struct stream_params *params = args;
    struct engine_stream *stream = handle_get(params->stream, HANDLE_STREAM);
    struct capture_stream *capture;

    if (stream) params->result = call(stream);
    else if ((capture = handle_get(params->stream, HANDLE_CAPTURE_STREAM))) params->result = capture_call(capture);
    else params->result = E_INVALIDARG;
    return STATUS_SUCCESS;
}

static NTSTATUS stream_start_call(void *args)
{
    return stream_simple_call(args, engine_stream_start, capture_stream_start);
}

static NTSTATUS stream_stop_call(void *args)
{
    return stream_simple_call(args, engine_stream_stop, capture_stream_stop);
}

static NTSTATUS stream_reset_call(void *args)
{
    return stream_simple_call(args, engine_stream_reset, capture_stream_reset);
}

static NTSTATUS stream_set_event_call(void *args)
{
    struct stream_set_event_params *params = args;
    struct engine_stream *stream = handle_get(params->stream, HANDLE_STREAM);
    struct capture_stream *capture = stream ? NULL : handle_get(params->stream, HANDLE_CAPTURE_STREAM);

    if (stream) params->result = engine_stream_set_event(stream, (HANDLE)(ULONG_PTR)params->event);
    else if (capture) params->result = capture_stream_set_event(capture, (HANDLE)(ULONG_PTR)params->event);
    else params->result = E_INVALIDARG;
    return STATUS_SUCCESS;
}

static NTSTATUS stream_move_call(void *args)
{
    struct stream_move_params *params = args;
    struct engine_stream *stream = handle_get(params->stream, HANDLE_STREAM);
    struct engine *engine = handle_get(params->engine, HANDLE_ENGINE);
    struct capture_stream *capture_stream = stream ? NULL : handle_get(params->stream, HANDLE_CAPTURE_STREAM);
    struct capture_engine *capture = engine ? NULL : handle_get(params->engine, HANDLE_CAPTURE_ENGINE);

    if (stream && engine) params->result = engine_stream_move(stream, engine);
    else if (capture_stream && capture) params->result = capture_stream_move(capture_stream, capture);
    else params->result = E_INVALIDARG;
    return STATUS_SUCCESS;
}

static NTSTATUS stream_set_rate_call(void *args)
{
    struct stream_set_rate_params *params = args;
    struct engine_stream *stream = handle_get(params->stream, HANDLE_STREAM);

    params->result = stream ? engine_stream_set_rate(stream, params->rate_millihz) : E_INVALIDARG;
    return STATUS_SUCCESS;
}

static pthread_mutex_t program_lock = PTHREAD_MUTEX_INITIALIZER;
static char program_name[MMDEVAPI_DEVICE_NAME_MAX];
static UINT32 program_id;
static UINT32 program_ancestors[MMDEVAPI_ANCESTORS_MAX], program_ancestor_count;

void backend_program(char *name, size_t size, UINT32 *process_id)
{
    pthread_mutex_lock(&program_lock);
    endpoint_set_text(name, size, program_name);
    *process_id = program_id;
    pthread_mutex_unlock(&program_lock);
}

UINT32 backend_program_ancestors(UINT32 *ancestors, UINT32 capacity)
{
    UINT32 count;

    pthread_mutex_lock(&program_lock);
    count = min(capacity, program_ancestor_count);
    memcpy(ancestors, program_ancestors, count * sizeof(*ancestors));
    pthread_mutex_unlock(&program_lock);
    return count;
}

static NTSTATUS set_program_call(void *args)
{
    struct set_program_params *params = args;
    UINT32 ancestors[MMDEVAPI_ANCESTORS_MAX], count = params->ancestor_count;
    char name[MMDEVAPI_DEVICE_NAME_MAX];

    memcpy(name, params->name, sizeof(name));
    name[sizeof(name) - 1] = 0;
    memcpy(ancestors, params->ancestors, sizeof(ancestors));
    if (count > MMDEVAPI_ANCESTORS_MAX)
    {
        params->result = E_INVALIDARG;
        return STATUS_SUCCESS;
    }
    pthread_mutex_lock(&program_lock);
    endpoint_set_text(program_name, sizeof(program_name), name);
    program_id = params->process_id;
    memcpy(program_ancestors, ancestors, sizeof(ancestors));
    program_ancestor_count = count;
    pthread_mutex_unlock(&program_lock);
    params->result = S_OK;
    return STATUS_SUCCESS;
}

/* The endpoint's key out of params, terminated; FALSE for a flow that is neither. */
static BOOL volume_endpoint(struct endpoint_volume_params *params, char key[MMDEVAPI_DEVICE_KEY_MAX],
                            enum mmdevapi_flow *flow)
{
    memcpy(key, params->key, MMDEVAPI_DEVICE_KEY_MAX);
    key[MMDEVAPI_DEVICE_KEY_MAX - 1] = 0;
    *flow = params->flow;
    return *flow == MMDEVAPI_RENDER || *flow == MMDEVAPI_CAPTURE;
}

static NTSTATUS endpoint_get_volume_call(void *args)
{
    struct endpoint_volume_params *params = args;
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    struct endpoint_volume volume;
    enum mmdevapi_flow flow;

    memset(&volume, 0, sizeof(volume));
    volume.channels = params->volume.channels;
    if (!volume_endpoint(params, key, &flow)) params->result = E_INVALIDARG;
    else if (!backend) params->result = AUDCLNT_E_DEVICE_INVALIDATED;
    else params->result = endpoint_volume_get(backend, key, flow, &volume);
    params->volume = volume;
    return STATUS_SUCCESS;
}

static NTSTATUS endpoint_sessions_call(void *args)
{
    struct endpoint_sessions_params *params = args;
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    enum mmdevapi_flow flow = params->flow;

    memcpy(key, params->key, sizeof(key));
    key[sizeof(key) - 1] = 0;
    memset(params->sessions, 0, sizeof(params->sessions));
    params->count = 0;
    params->result = S_OK;
    if (flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE) params->result = E_INVALIDARG;
    else if (backend && backend->list_sessions)
        params->count = min(backend->list_sessions(key, flow, params->sessions, MMDEVAPI_SESSIONS_MAX),
                            MMDEVAPI_SESSIONS_MAX);
    return STATUS_SUCCESS;
}

static NTSTATUS endpoint_set_session_volume_call(void *args)
{
    struct endpoint_session_volume_params *params = args;
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    enum mmdevapi_flow flow = params->flow;
    float volume = params->volume;

    memcpy(key, params->key, sizeof(key));
    key[sizeof(key) - 1] = 0;
    if ((flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE) || !(volume >= 0.0f && volume <= 1.0f)
        || !params->process_id)
        params->result = E_INVALIDARG;
    else if (!backend) params->result = AUDCLNT_E_DEVICE_INVALIDATED;
    else if (!backend->set_session_volume) params->result = E_NOTIMPL;
    else params->result = backend->set_session_volume(key, flow, params->process_id, volume, !!params->mute);
    return STATUS_SUCCESS;
}

static NTSTATUS endpoint_set_volume_call(void *args)
{
    struct endpoint_volume_params *params = args;
    struct endpoint_volume volume = params->volume;
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    enum mmdevapi_flow flow;
    UINT32 i;

    if (!volume_endpoint(params, key, &flow) || !volume.channels || volume.channels > MMDEVAPI_MAX_CHANNELS)
    {
        params->result = E_INVALIDARG;
        return STATUS_SUCCESS;
    }
    for (i = 0; i < volume.channels; i++)
        if (!(volume.levels[i] >= 0.0f && volume.levels[i] <= 1.0f))    /* NaN too */
        {
            params->result = E_INVALIDARG;
            return STATUS_SUCCESS;
        }
    volume.mute = !!volume.mute;
    params->result = backend ? endpoint_volume_set(backend, key, flow, &volume) : AUDCLNT_E_DEVICE_INVALIDATED;
    return STATUS_SUCCESS;
}

static NTSTATUS endpoints_watch_call(void *args)
{
    struct endpoints_watch_params *params = args;
    INT64 timeout_ns = (INT64)params->timeout_ms * 1000000;
    struct timespec delay;

    params->changes = 0;
    if (!backend) params->result = E_FAIL;
    else if (backend->watch) params->result = backend->watch(timeout_ns, &params->changes);
    else
    {
        /* Nothing to watch: only this process changes the engine's gain, and it says so itself. */
        delay.tv_sec = timeout_ns / 1000000000;
        delay.tv_nsec = timeout_ns % 1000000000;
        nanosleep(&delay, NULL);
        params->result = S_FALSE;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS engine_get_peaks_call(void *args)
{
    struct engine_get_peaks_params *params = args;
    struct engine *engine = handle_get(params->engine, HANDLE_ENGINE);
    struct capture_engine *capture = engine ? NULL : handle_get(params->engine, HANDLE_CAPTURE_ENGINE);

    memset(params->peaks, 0, sizeof(params->peaks));
    params->channels = 0;
    if (engine) params->channels = engine_read_peaks(engine, params->peaks);
    else if (capture) params->channels = capture_engine_read_peaks(capture, params->peaks);
    params->result = engine || capture ? S_OK : E_INVALIDARG;
    return STATUS_SUCCESS;
}

/* The only symbol the .so exports: Wine's loader looks it up by name. */
__attribute__((visibility("default"))) const unixlib_entry_t __wine_unix_call_funcs[] =
{
    process_attach,
    get_endpoints,
    engine_create_call,
    engine_run_call,
    engine_signal_call,
    engine_get_period_call,
    stream_create_call,
    stream_release_call,
    stream_start_call,
    stream_stop_call,
    stream_reset_call,
    stream_set_event_call,
    stream_set_rate_call,
    set_program_call,
    endpoint_get_volume_call,
    endpoint_set_volume_call,
    endpoints_watch_call,
    engine_get_peaks_call,
    engine_device_gone_call,
    stream_move_call,
    endpoint_sessions_call,
    endpoint_set_session_volume_call,
};

C_ASSERT(ARRAY_SIZE(__wine_unix_call_funcs) == unix_call_count);
