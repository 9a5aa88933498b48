/* The call table for 32-bit programs under Wine's new WoW64 (Wine 9 and later may run a 32-bit
 * mmdevapi.dll against this 64-bit mmdevapi.so): each entry takes the params as the i686 PE side
 * lays them out. Params without pointers have one layout on both (every field is fixed-width, and
 * Wine's UINT64 is 8-aligned on i386 too), so those calls go straight to the native entry; a call
 * whose params hold a pointer has a thunk below that widens it, calls the native entry and copies
 * the outputs back. Wine 8 as Debian builds it runs 32-bit programs with the i386 mmdevapi.so
 * instead (the build32 of tools/meson/i386-linux.ini), which needs none of this.
 *
 * A new call needs one line in WOW64_CALLS; tests/unit/wow64.c fails for a call without one, and
 * tests/unit/wow64-layout for params that hold something of pointer size without a thunk here. */
#include <stdarg.h>
#include <string.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winternl.h>
#include <winerror.h>

#include "mmdevapi_unix.h"
#include "engine/engine.h"

/* A pointer of the 32-bit program. */
typedef UINT32 PTR32;

extern const unixlib_entry_t __wine_unix_call_funcs[];

static NTSTATUS native(enum mmdevapi_unix_call code, void *params)
{
    return __wine_unix_call_funcs[code](params);
}

/* The program's pointers reach only the low 2 GiB (4 GiB when large-address-aware): the rings it
 * shares with the engine are allocated there from now on. */
static NTSTATUS wow64_process_attach(void *args)
{
    engine_shared_zero_bits = 0x7fffffff;
    return native(unix_process_attach, args);
}

struct get_endpoints_params32
{
    UINT32 flow;
    UINT32 capacity;
    PTR32 endpoints;                    /* struct endpoint_info: no pointers, one layout */
    HRESULT result;
    UINT32 count;
    UINT32 default_index;
};
C_ASSERT(sizeof(struct get_endpoints_params32) == 24);

static NTSTATUS wow64_get_endpoints(void *args)
{
    struct get_endpoints_params32 *params32 = args;
    struct get_endpoints_params params =
    {
        .flow = params32->flow,
        .capacity = params32->capacity,
        .endpoints = ULongToPtr(params32->endpoints),
    };
    NTSTATUS status = native(unix_get_endpoints, &params);

    params32->result = params.result;
    params32->count = params.count;
    params32->default_index = params.default_index;
    return status;
}

struct stream_create_params32
{
    UINT64 engine;
    struct endpoint_format format;
    UINT32 flags;
    UINT32 buffer_frames;
    UINT32 period_frames;
    HRESULT result;
    UINT64 stream;
    PTR32 shared;
};
C_ASSERT(sizeof(struct stream_create_params32) == 64);

static NTSTATUS wow64_stream_create(void *args)
{
    struct stream_create_params32 *params32 = args;
    struct stream_create_params params =
    {
        .engine = params32->engine,
        .format = params32->format,
        .flags = params32->flags,
        .buffer_frames = params32->buffer_frames,
        .period_frames = params32->period_frames,
    };
    NTSTATUS status = native(unix_stream_create, &params);

    /* A ring the program cannot reach (process_attach came from a 64-bit caller) is no stream. */
    if (SUCCEEDED(params.result) && (ULONG_PTR)params.shared > 0xffffffffu)
    {
        struct stream_params release = { .stream = params.stream };

        native(unix_stream_release, &release);
        params.result = E_OUTOFMEMORY;
        params.stream = 0;
        params.shared = NULL;
    }
    params32->result = params.result;
    params32->stream = params.stream;
    params32->shared = PtrToUlong(params.shared);
    return status;
}

/* Every call, in any order: WOW64_THUNK for those with a thunk above, WOW64_SAME for params
 * without pointers. */
#define WOW64_CALLS \
    WOW64_THUNK(process_attach) \
    WOW64_THUNK(get_endpoints) \
    WOW64_SAME(engine_create) \
    WOW64_SAME(engine_run) \
    WOW64_SAME(engine_signal) \
    WOW64_SAME(engine_get_period) \
    WOW64_THUNK(stream_create) \
    WOW64_SAME(stream_release) \
    WOW64_SAME(stream_start) \
    WOW64_SAME(stream_stop) \
    WOW64_SAME(stream_reset) \
    WOW64_SAME(stream_set_event) \
    WOW64_SAME(stream_set_rate) \
    WOW64_SAME(set_program) \
    WOW64_SAME(endpoint_get_volume) \
    WOW64_SAME(endpoint_set_volume) \
    WOW64_SAME(endpoints_watch) \
    WOW64_SAME(engine_get_peaks) \
    WOW64_SAME(engine_device_gone) \
    WOW64_SAME(stream_move) \
    WOW64_SAME(endpoint_sessions) \
    WOW64_SAME(endpoint_set_session_volume)

/* The native entries are the table's, not symbols: a same-layout call passes through. */
#define WOW64_THUNK(call)
#define WOW64_SAME(call) static NTSTATUS wow64_##call(void *args) { return native(unix_##call, args); }
WOW64_CALLS
#undef WOW64_THUNK
#undef WOW64_SAME

/* Wine's loader looks it up by name, as __wine_unix_call_funcs; its size is the native table's
 * even when a call is missing above, so that the missing entry is NULL for the test to find. */
#define WOW64_THUNK(call) [unix_##call] = wow64_##call,
#define WOW64_SAME WOW64_THUNK
__attribute__((visibility("default"))) const unixlib_entry_t __wine_unix_call_wow64_funcs[unix_call_count] =
{
    WOW64_CALLS
};
