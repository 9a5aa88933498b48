/*
 * ActivateAudioInterfaceAsync as a program calls it: a completion handler of its own, counted
 * (the operation may hold it after it completed), then the operation's result.
 */
#ifndef MMDEVAPI_TESTS_ACTIVATE_ASYNC_H
#define MMDEVAPI_TESTS_ACTIVATE_ASYNC_H

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

/* Activates iid on path with params (NULL: none); the result of the operation, and the interface it
 * gave (or NULL). */
static inline HRESULT activate_async_params(activate_async_func activate, const WCHAR *path, REFIID iid,
                                            PROPVARIANT *params, IUnknown **out)
{
    struct completion *completion = calloc(1, sizeof(*completion));
    IActivateAudioInterfaceAsyncOperation *op = NULL;
    HRESULT hr, result = E_FAIL;

    *out = NULL;
    if (!completion) return E_OUTOFMEMORY;
    /* On the heap and counted: the operation may hold the handler after it completes. */
    completion->IActivateAudioInterfaceCompletionHandler_iface.lpVtbl = &completion_vtbl;
    completion->ref = 1;
    completion->done = CreateEventW(NULL, TRUE, FALSE, NULL);
    hr = activate(path, iid, params, &completion->IActivateAudioInterfaceCompletionHandler_iface, &op);
    ok(hr == S_OK && op, "ActivateAudioInterfaceAsync(%s): got %08lx %p, expected S_OK\n", dbgstr_w(path), hr, op);
    if (hr == S_OK)
    {
        ok(WaitForSingleObject(completion->done, 5000) == WAIT_OBJECT_0, "no completion within 5 s\n");
        /* The handler runs on a thread of the system's, never the caller's. */
        ok(completion->thread && completion->thread != GetCurrentThreadId(), "ActivateCompleted ran on thread "
           "%#lx, the caller's is %#lx\n", completion->thread, GetCurrentThreadId());
        hr = IActivateAudioInterfaceAsyncOperation_GetActivateResult(op, &result, out);
        ok(hr == S_OK, "GetActivateResult: got %08lx, expected S_OK\n", hr);
        IActivateAudioInterfaceAsyncOperation_Release(op);
    }
    IActivateAudioInterfaceCompletionHandler_Release(&completion->IActivateAudioInterfaceCompletionHandler_iface);
    return result;
}

static inline HRESULT activate_async(activate_async_func activate, const WCHAR *path, REFIID iid, IUnknown **out)
{
    return activate_async_params(activate, path, iid, NULL, out);
}

#endif
