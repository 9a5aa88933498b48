/* ActivateAudioInterfaceAsync and its IActivateAudioInterfaceAsyncOperation. */
#include "private.h"
#include <audioclient.h>
#include "process_loopback.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

struct activation
{
    IActivateAudioInterfaceAsyncOperation IActivateAudioInterfaceAsyncOperation_iface;
    LONG ref;
    WCHAR *path;
    IID iid;
    PROPVARIANT params;
    IActivateAudioInterfaceCompletionHandler *handler;
    LONG done;              /* set once result and activated are final */
    HRESULT result;
    IUnknown *activated;
};

static inline struct activation *impl_from_IActivateAudioInterfaceAsyncOperation(IActivateAudioInterfaceAsyncOperation *iface)
{
    return CONTAINING_RECORD(iface, struct activation, IActivateAudioInterfaceAsyncOperation_iface);
}

static HRESULT WINAPI activation_QueryInterface(IActivateAudioInterfaceAsyncOperation *iface, REFIID riid, void **out)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    /* The operation is called from whatever thread completes it: it is agile. */
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IActivateAudioInterfaceAsyncOperation)
        && !IsEqualIID(riid, &IID_IAgileObject))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    IActivateAudioInterfaceAsyncOperation_AddRef(iface);
    return S_OK;
}

static ULONG WINAPI activation_AddRef(IActivateAudioInterfaceAsyncOperation *iface)
{
    struct activation *activation = impl_from_IActivateAudioInterfaceAsyncOperation(iface);
    ULONG ref = InterlockedIncrement(&activation->ref);

    TRACE("(%p) ref %lu\n", activation, ref);
    return ref;
}

static ULONG WINAPI activation_Release(IActivateAudioInterfaceAsyncOperation *iface)
{
    struct activation *activation = impl_from_IActivateAudioInterfaceAsyncOperation(iface);
    ULONG ref = InterlockedDecrement(&activation->ref);

    TRACE("(%p) ref %lu\n", activation, ref);
    if (!ref)
    {
        if (activation->activated) IUnknown_Release(activation->activated);
        IActivateAudioInterfaceCompletionHandler_Release(activation->handler);
        PropVariantClear(&activation->params);
        free(activation->path);
        free(activation);
    }
    return ref;
}

static HRESULT WINAPI activation_GetActivateResult(IActivateAudioInterfaceAsyncOperation *iface, HRESULT *result,
                                                   IUnknown **activated)
{
    struct activation *activation = impl_from_IActivateAudioInterfaceAsyncOperation(iface);

    TRACE("(%p)->(%p, %p)\n", activation, result, activated);
    if (!result || !activated) return E_POINTER;
    *activated = NULL;
    if (!ReadAcquire(&activation->done)) return E_ILLEGAL_METHOD_CALL;
    *result = activation->result;
    if ((*activated = activation->activated)) IUnknown_AddRef(*activated);
    return S_OK;
}

static const IActivateAudioInterfaceAsyncOperationVtbl activation_vtbl =
{
    activation_QueryInterface,
    activation_AddRef,
    activation_Release,
    activation_GetActivateResult,
};

/* The device a path names: an endpoint's device interface path, as Windows names it (see
 * device_interface_path; Windows.Media.Devices hands programs these), or the default endpoint of a
 * direction, as Windows takes DEVINTERFACE_AUDIO_RENDER / _CAPTURE in their string form. Anything
 * else, an endpoint's bare id included, names no device interface: ERROR_FILE_NOT_FOUND, as on
 * Windows. follows_default says whether path named a default endpoint, whose clients move with it. */
static HRESULT activation_device(const WCHAR *path, IMMDevice **device, BOOL *follows_default)
{
    static const WCHAR prefix[] = L"\\\\?\\SWD#MMDEVAPI#";
    WCHAR id[56], expected[DEVICE_INTERFACE_PATH_MAX];
    struct mmdevice *endpoint;
    GUID interface_class;
    HRESULT hr;

    if (FAILED(hr = devices_init())) return hr;
    *device = NULL;
    *follows_default = CLSIDFromString(path, &interface_class) == S_OK
                       && (IsEqualGUID(&interface_class, &DEVINTERFACE_AUDIO_RENDER)
                           || IsEqualGUID(&interface_class, &DEVINTERFACE_AUDIO_CAPTURE));
    if (*follows_default)
        endpoint = device_default(IsEqualGUID(&interface_class, &DEVINTERFACE_AUDIO_RENDER) ? eRender : eCapture);
    else if (!wcsnicmp(path, prefix, ARRAY_SIZE(prefix) - 1))
    {
        lstrcpynW(id, path + ARRAY_SIZE(prefix) - 1, ARRAY_SIZE(id));
        if ((endpoint = device_find(id)))
        {
            device_interface_path(endpoint, expected);
            if (wcsicmp(path, expected)) endpoint = NULL;
        }
    }
    else endpoint = NULL;
    if (!endpoint) return HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
    *device = &endpoint->IMMDevice_iface;
    IMMDevice_AddRef(*device);
    return S_OK;
}

/* VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK: params must be a blob of AUDIOCLIENT_ACTIVATION_PARAMS for
 * process loopback, with a known mode and a process id (E_INVALIDARG otherwise, checked before
 * the backend is asked: E_NOTIMPL where it cannot). */
static HRESULT activation_process_loopback(struct activation *activation)
{
    const AUDIOCLIENT_ACTIVATION_PARAMS *params = (const void *)activation->params.blob.pBlobData;

    if (activation->params.vt != VT_BLOB || activation->params.blob.cbSize != sizeof(*params) || !params
        || params->ActivationType != AUDIOCLIENT_ACTIVATION_TYPE_PROCESS_LOOPBACK
        || (params->ProcessLoopbackParams.ProcessLoopbackMode != PROCESS_LOOPBACK_MODE_INCLUDE_TARGET_PROCESS_TREE
            && params->ProcessLoopbackParams.ProcessLoopbackMode != PROCESS_LOOPBACK_MODE_EXCLUDE_TARGET_PROCESS_TREE)
        || !params->ProcessLoopbackParams.TargetProcessId)
        return E_INVALIDARG;
    TRACE("process %lu, mode %u\n", params->ProcessLoopbackParams.TargetProcessId,
          params->ProcessLoopbackParams.ProcessLoopbackMode);
    return audio_client_create_process_loopback(params->ProcessLoopbackParams.TargetProcessId,
            params->ProcessLoopbackParams.ProcessLoopbackMode == PROCESS_LOOPBACK_MODE_EXCLUDE_TARGET_PROCESS_TREE,
            &activation->iid, (void **)&activation->activated);
}

static void CALLBACK activation_run(TP_CALLBACK_INSTANCE *instance, void *context)
{
    struct activation *activation = context;
    BOOL follows_default;
    IMMDevice *device;

    if (!wcsicmp(activation->path, VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK))
        activation->result = activation_process_loopback(activation);
    else if (SUCCEEDED(activation->result = activation_device(activation->path, &device, &follows_default)))
    {
        activation->result = IMMDevice_Activate(device, &activation->iid, CLSCTX_INPROC_SERVER,
                                                activation->params.vt == VT_EMPTY ? NULL : &activation->params,
                                                (void **)&activation->activated);
        if (SUCCEEDED(activation->result) && follows_default) audio_client_follow_default(activation->activated);
        IMMDevice_Release(device);
    }
    WriteRelease(&activation->done, TRUE);
    IActivateAudioInterfaceCompletionHandler_ActivateCompleted(activation->handler,
            &activation->IActivateAudioInterfaceAsyncOperation_iface);
    IActivateAudioInterfaceAsyncOperation_Release(&activation->IActivateAudioInterfaceAsyncOperation_iface);
}

HRESULT WINAPI ActivateAudioInterfaceAsync(const WCHAR *path, REFIID riid, PROPVARIANT *params,
                                           IActivateAudioInterfaceCompletionHandler *handler,
                                           IActivateAudioInterfaceAsyncOperation **operation)
{
    struct activation *activation;
    HRESULT hr = E_OUTOFMEMORY;

    TRACE("(%s, %s, %p, %p, %p)\n", debugstr_w(path), debugstr_guid(riid), params, handler, operation);
    if (!path || !riid || !handler || !operation) return E_POINTER;
    *operation = NULL;

    if (!(activation = calloc(1, sizeof(*activation)))) return E_OUTOFMEMORY;
    activation->IActivateAudioInterfaceAsyncOperation_iface.lpVtbl = &activation_vtbl;
    activation->ref = 2;    /* the caller's and the pending work's */
    activation->iid = *riid;
    activation->handler = handler;
    IActivateAudioInterfaceCompletionHandler_AddRef(handler);
    if (!(activation->path = wcsdup(path))
        || (params && FAILED(hr = PropVariantCopy(&activation->params, params))))
    {
        activation->ref = 1;
        IActivateAudioInterfaceAsyncOperation_Release(&activation->IActivateAudioInterfaceAsyncOperation_iface);
        return hr;
    }
    /* The completion handler runs on a pool thread, never on the caller's, as on Windows. */
    if (!TrySubmitThreadpoolCallback(activation_run, activation, NULL))
    {
        hr = HRESULT_FROM_WIN32(GetLastError());
        activation->ref = 1;
        IActivateAudioInterfaceAsyncOperation_Release(&activation->IActivateAudioInterfaceAsyncOperation_iface);
        return hr;
    }
    *operation = &activation->IActivateAudioInterfaceAsyncOperation_iface;
    return S_OK;
}
