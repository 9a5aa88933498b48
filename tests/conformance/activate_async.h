/*
 * ActivateAudioInterfaceAsync as the tests call it: include/activate_async.h, its answers checked.
 */
#ifndef MMDEVAPI_TESTS_ACTIVATE_ASYNC_H
#define MMDEVAPI_TESTS_ACTIVATE_ASYNC_H

#include "../../include/activate_async.h"

/* Activates iid on path with params (NULL: none); the result of the operation, and the interface it
 * gave (or NULL). */
static inline HRESULT activate_async_params(activate_async_func activate, const WCHAR *path, REFIID iid,
                                            PROPVARIANT *params, IUnknown **out)
{
    HRESULT hr, result;
    DWORD thread;

    hr = activate_audio_interface(activate, path, iid, params, 5000, &result, out, &thread);
    ok(hr == S_OK, "ActivateAudioInterfaceAsync(%s), its completion within 5 s and GetActivateResult: got %08lx, "
       "expected S_OK\n", dbgstr_w(path), hr);
    /* The handler runs on a thread of the system's, never the caller's. */
    if (hr == S_OK)
        ok(thread && thread != GetCurrentThreadId(), "ActivateCompleted ran on thread %#lx, the caller's is %#lx\n",
           thread, GetCurrentThreadId());
    return result;
}

static inline HRESULT activate_async(activate_async_func activate, const WCHAR *path, REFIID iid, IUnknown **out)
{
    return activate_async_params(activate, path, iid, NULL, out);
}

#endif
