/*
 * ActivateAudioInterfaceAsync as a program calls it (our tools and tests): a completion handler of
 * its own, counted (the operation may hold it after it completed), then the operation's result.
 */
#ifndef MMDEVAPI_ACTIVATE_ASYNC_H
#define MMDEVAPI_ACTIVATE_ASYNC_H

struct completion
{
    IActivateAudioInterfaceCompletionHandler IActivateAudioInterfaceCompletionHandler_iface;
    LONG ref;
    HANDLE done;
    DWORD thread;               /* where ActivateCompleted ran */
};

static inline struct completion *impl_from_handler(IActivateAudioInterfaceCompletionHandler *iface)
{
    return CONTAINING_RECORD(iface, struct completion, IActivateAudioInterfaceCompletionHandler_iface);
}

static inline HRESULT WINAPI completion_QueryInterface(IActivateAudioInterfaceCompletionHandler *iface, REFIID riid,
                                                void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IActivateAudioInterfaceCompletionHandler)
        || IsEqualIID(riid, &IID_IAgileObject))
    {
        *out = iface;
        IActivateAudioInterfaceCompletionHandler_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static inline ULONG WINAPI completion_AddRef(IActivateAudioInterfaceCompletionHandler *iface)
{
    return InterlockedIncrement(&impl_from_handler(iface)->ref);
}

static inline ULONG WINAPI completion_Release(IActivateAudioInterfaceCompletionHandler *iface)
{
    struct completion *completion = impl_from_handler(iface);
    ULONG ref = InterlockedDecrement(&completion->ref);

    if (!ref)
    {
        CloseHandle(completion->done);
        free(completion);
    }
    return ref;
}

static inline HRESULT WINAPI completion_ActivateCompleted(IActivateAudioInterfaceCompletionHandler *iface,
                                                   IActivateAudioInterfaceAsyncOperation *op)
{
    struct completion *completion = impl_from_handler(iface);

    completion->thread = GetCurrentThreadId();
    SetEvent(completion->done);
    return S_OK;
}

static const IActivateAudioInterfaceCompletionHandlerVtbl completion_vtbl =
{
    completion_QueryInterface,
    completion_AddRef,
    completion_Release,
    completion_ActivateCompleted,
};

typedef HRESULT (WINAPI *activate_async_func)(const WCHAR *, REFIID, PROPVARIANT *,
                                              IActivateAudioInterfaceCompletionHandler *,
                                              IActivateAudioInterfaceAsyncOperation **);

/* Activates iid on path with params (NULL: none) and waits up to timeout_ms for it: *result is
 * the operation's result, *out the interface it gave (or NULL), *thread where ActivateCompleted ran
 * (NULL: not asked). Returns the first call that failed: ActivateAudioInterfaceAsync, the wait
 * (HRESULT_FROM_WIN32(WAIT_TIMEOUT)) or GetActivateResult. */
static inline HRESULT activate_audio_interface(activate_async_func activate, const WCHAR *path, REFIID iid,
                                               PROPVARIANT *params, DWORD timeout_ms, HRESULT *result,
                                               IUnknown **out, DWORD *thread)
{
    struct completion *completion = calloc(1, sizeof(*completion));
    IActivateAudioInterfaceAsyncOperation *op = NULL;
    HRESULT hr;

    *out = NULL;
    *result = E_FAIL;
    if (thread) *thread = 0;
    if (!completion) return E_OUTOFMEMORY;
    /* On the heap and counted: the operation may hold the handler after it completes. */
    completion->IActivateAudioInterfaceCompletionHandler_iface.lpVtbl = &completion_vtbl;
    completion->ref = 1;
    completion->done = CreateEventW(NULL, TRUE, FALSE, NULL);
    hr = activate(path, iid, params, &completion->IActivateAudioInterfaceCompletionHandler_iface, &op);
    if (SUCCEEDED(hr) && !op) hr = E_POINTER;
    if (SUCCEEDED(hr) && WaitForSingleObject(completion->done, timeout_ms) != WAIT_OBJECT_0)
        hr = HRESULT_FROM_WIN32(WAIT_TIMEOUT);
    if (SUCCEEDED(hr))
    {
        if (thread) *thread = completion->thread;
        hr = IActivateAudioInterfaceAsyncOperation_GetActivateResult(op, result, out);
    }
    if (op) IActivateAudioInterfaceAsyncOperation_Release(op);
    IActivateAudioInterfaceCompletionHandler_Release(&completion->IActivateAudioInterfaceCompletionHandler_iface);
    return hr;
}

#endif
