/* IMMDeviceEnumerator and IMMDeviceCollection. */
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

/* One enumerator a process, as on Windows: CoCreateInstance hands out the same object each time. */
struct enumerator
{
    IMMDeviceEnumerator IMMDeviceEnumerator_iface;
    LONG ref;
};

/* A snapshot of the endpoints that matched, as Windows' collections are. */
struct collection
{
    IMMDeviceCollection IMMDeviceCollection_iface;
    LONG ref;
    UINT count;
    struct mmdevice *devices[];
};

/* Notification clients are the process's, whatever enumerator registered them. Windows does not
 * hold a reference on them: the program keeps them alive until it unregisters, so an unregistering
 * thread waits for a call in flight to that client to end (unless it is that call's own thread). */
static SRWLOCK clients_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE client_call_done = CONDITION_VARIABLE_INIT;
static IMMNotificationClient **clients;
static UINT clients_count, clients_capacity;
static IMMNotificationClient *client_in_call;
static DWORD client_call_thread;

static void notify_one(IMMNotificationClient *client, const struct endpoint_change *change)
{
    static const ERole roles[] = { eConsole, eMultimedia, eCommunications };
    UINT32 i;

    switch (change->kind)
    {
    case ENDPOINT_ADDED:
        TRACE("%p: OnDeviceAdded(%s)\n", client, debugstr_w(change->id));
        IMMNotificationClient_OnDeviceAdded(client, change->id);
        break;
    case ENDPOINT_STATE:
        TRACE("%p: OnDeviceStateChanged(%s, %#lx)\n", client, debugstr_w(change->id), change->state);
        IMMNotificationClient_OnDeviceStateChanged(client, change->id, change->state);
        break;
    case ENDPOINT_DEFAULT:
        /* One endpoint is the default of every role here. */
        for (i = 0; i < ARRAY_SIZE(roles); i++)
        {
            TRACE("%p: OnDefaultDeviceChanged(%u, %u, %s)\n", client, change->flow, roles[i],
                  debugstr_w(change->has_id ? change->id : NULL));
            IMMNotificationClient_OnDefaultDeviceChanged(client, change->flow, roles[i],
                                                         change->has_id ? change->id : NULL);
        }
        break;
    }
}

void notify_endpoint_clients(const struct endpoint_change *changes, UINT32 count)
{
    IMMNotificationClient *client;
    UINT32 c, i, next;

    for (c = 0; c < count; c++)
        /* Clients may register and unregister from their calls: look the list up each time, and go
         * on after the client just called wherever it now is (if it went, its successor is at i). */
        for (i = 0;; i = next)
        {
            AcquireSRWLockExclusive(&clients_lock);
            client = i < clients_count ? clients[i] : NULL;
            client_in_call = client;
            client_call_thread = GetCurrentThreadId();
            ReleaseSRWLockExclusive(&clients_lock);
            if (!client) break;
            notify_one(client, &changes[c]);
            AcquireSRWLockExclusive(&clients_lock);
            client_in_call = NULL;
            /* Unregistering only moves clients towards the start. */
            for (next = min(i + 1, clients_count); next && clients[next - 1] != client; next--) {}
            if (!next) next = min(i, clients_count);
            WakeAllConditionVariable(&client_call_done);
            ReleaseSRWLockExclusive(&clients_lock);
        }
}

static inline struct enumerator *impl_from_IMMDeviceEnumerator(IMMDeviceEnumerator *iface)
{
    return CONTAINING_RECORD(iface, struct enumerator, IMMDeviceEnumerator_iface);
}

static inline struct collection *impl_from_IMMDeviceCollection(IMMDeviceCollection *iface)
{
    return CONTAINING_RECORD(iface, struct collection, IMMDeviceCollection_iface);
}

static HRESULT WINAPI collection_QueryInterface(IMMDeviceCollection *iface, REFIID riid, void **out)
{
    struct collection *collection = impl_from_IMMDeviceCollection(iface);

    TRACE("(%p)->(%s, %p)\n", collection, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMMDeviceCollection))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    IMMDeviceCollection_AddRef(iface);
    return S_OK;
}

static ULONG WINAPI collection_AddRef(IMMDeviceCollection *iface)
{
    struct collection *collection = impl_from_IMMDeviceCollection(iface);
    ULONG ref = InterlockedIncrement(&collection->ref);

    TRACE("(%p) ref %lu\n", collection, ref);
    return ref;
}

static ULONG WINAPI collection_Release(IMMDeviceCollection *iface)
{
    struct collection *collection = impl_from_IMMDeviceCollection(iface);
    ULONG ref = InterlockedDecrement(&collection->ref);

    TRACE("(%p) ref %lu\n", collection, ref);
    if (!ref) free(collection);
    return ref;
}

static HRESULT WINAPI collection_GetCount(IMMDeviceCollection *iface, UINT *count)
{
    struct collection *collection = impl_from_IMMDeviceCollection(iface);

    TRACE("(%p)->(%p)\n", collection, count);
    if (!count) return E_POINTER;
    *count = collection->count;
    return S_OK;
}

static HRESULT WINAPI collection_Item(IMMDeviceCollection *iface, UINT index, IMMDevice **device)
{
    struct collection *collection = impl_from_IMMDeviceCollection(iface);

    TRACE("(%p)->(%u, %p)\n", collection, index, device);
    if (!device) return E_POINTER;
    if (index >= collection->count)
    {
        *device = NULL;
        return E_INVALIDARG;
    }
    *device = &collection->devices[index]->IMMDevice_iface;
    IMMDevice_AddRef(*device);
    return S_OK;
}

static const IMMDeviceCollectionVtbl collection_vtbl =
{
    collection_QueryInterface,
    collection_AddRef,
    collection_Release,
    collection_GetCount,
    collection_Item,
};

static HRESULT collection_create(EDataFlow flow, DWORD state_mask, IMMDeviceCollection **out)
{
    struct collection *collection;
    EDataFlow pass;
    UINT i;

    AcquireSRWLockExclusive(&devices_lock);
    if (!(collection = malloc(offsetof(struct collection, devices[devices_count]))))
    {
        ReleaseSRWLockExclusive(&devices_lock);
        return E_OUTOFMEMORY;
    }
    collection->IMMDeviceCollection_iface.lpVtbl = &collection_vtbl;
    collection->ref = 1;
    collection->count = 0;
    /* Render endpoints come before capture ones, each in the order the backend gave them. */
    for (pass = eRender; pass <= eCapture; pass++)
        for (i = 0; i < devices_count; i++)
            if (devices[i]->flow == pass && (flow == eAll || flow == pass) && (devices[i]->state & state_mask))
                collection->devices[collection->count++] = devices[i];
    ReleaseSRWLockExclusive(&devices_lock);
    *out = &collection->IMMDeviceCollection_iface;
    return S_OK;
}

static HRESULT WINAPI enumerator_QueryInterface(IMMDeviceEnumerator *iface, REFIID riid, void **out)
{
    struct enumerator *enumerator = impl_from_IMMDeviceEnumerator(iface);

    TRACE("(%p)->(%s, %p)\n", enumerator, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMMDeviceEnumerator))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    IMMDeviceEnumerator_AddRef(iface);
    return S_OK;
}

static ULONG WINAPI enumerator_AddRef(IMMDeviceEnumerator *iface)
{
    struct enumerator *enumerator = impl_from_IMMDeviceEnumerator(iface);
    ULONG ref = InterlockedIncrement(&enumerator->ref);

    TRACE("(%p) ref %lu\n", enumerator, ref);
    return ref;
}

static ULONG WINAPI enumerator_Release(IMMDeviceEnumerator *iface)
{
    struct enumerator *enumerator = impl_from_IMMDeviceEnumerator(iface);
    ULONG ref = InterlockedDecrement(&enumerator->ref);

    TRACE("(%p) ref %lu\n", enumerator, ref);
    return ref;
}

static HRESULT WINAPI enumerator_EnumAudioEndpoints(IMMDeviceEnumerator *iface, EDataFlow flow, DWORD state_mask,
                                                    IMMDeviceCollection **out)
{
    TRACE("(%p)->(%u, %#lx, %p)\n", iface, flow, state_mask, out);
    if (!out) return E_POINTER;
    *out = NULL;
    if ((UINT)flow >= EDataFlow_enum_count || (state_mask & ~DEVICE_STATEMASK_ALL)) return E_INVALIDARG;
    return collection_create(flow, state_mask, out);
}

static HRESULT WINAPI enumerator_GetDefaultAudioEndpoint(IMMDeviceEnumerator *iface, EDataFlow flow, ERole role,
                                                         IMMDevice **out)
{
    struct mmdevice *device;

    TRACE("(%p)->(%u, %u, %p)\n", iface, flow, role, out);
    if (!out) return E_POINTER;
    *out = NULL;
    if ((flow != eRender && flow != eCapture) || (UINT)role >= ERole_enum_count) return E_INVALIDARG;
    /* Every role has the backend's one default: voice chat opens eCommunications and must find it. */
    if (!(device = device_default(flow))) return E_NOTFOUND;
    *out = &device->IMMDevice_iface;
    IMMDevice_AddRef(*out);
    return S_OK;
}

/* "{0.0.F.00000000}.{guid}", F being 0 (render) or 1 (capture). */
static BOOL is_endpoint_id(const WCHAR *id)
{
    GUID guid;

    return wcslen(id) == 55 && !wcsncmp(id, L"{0.0.", 5) && (id[5] == '0' || id[5] == '1')
           && !wcsncmp(id + 6, L".00000000}.", 11) && CLSIDFromString(id + 17, &guid) == S_OK;
}

static HRESULT WINAPI enumerator_GetDevice(IMMDeviceEnumerator *iface, const WCHAR *id, IMMDevice **out)
{
    struct mmdevice *device;

    TRACE("(%p)->(%s, %p)\n", iface, debugstr_w(id), out);
    if (!id || !out) return E_POINTER;
    *out = NULL;
    /* Windows tells a malformed id from a well-formed one that names no endpoint. */
    if (!is_endpoint_id(id)) return E_INVALIDARG;
    if (!(device = device_find(id))) return E_NOTFOUND;
    *out = &device->IMMDevice_iface;
    IMMDevice_AddRef(*out);
    return S_OK;
}

static HRESULT WINAPI enumerator_RegisterEndpointNotificationCallback(IMMDeviceEnumerator *iface,
                                                                      IMMNotificationClient *client)
{
    IMMNotificationClient **grown;
    HRESULT hr = S_OK;

    TRACE("(%p)->(%p)\n", iface, client);
    if (!client) return E_POINTER;
    AcquireSRWLockExclusive(&clients_lock);
    if (clients_count == clients_capacity)
    {
        UINT capacity = clients_capacity ? clients_capacity * 2 : 4;
        if ((grown = realloc(clients, capacity * sizeof(*clients))))
        {
            clients = grown;
            clients_capacity = capacity;
        }
    }
    if (clients_count < clients_capacity) clients[clients_count++] = client;
    else hr = E_OUTOFMEMORY;
    ReleaseSRWLockExclusive(&clients_lock);
    if (SUCCEEDED(hr)) devices_watch_start();
    return hr;
}

static HRESULT WINAPI enumerator_UnregisterEndpointNotificationCallback(IMMDeviceEnumerator *iface,
                                                                        IMMNotificationClient *client)
{
    HRESULT hr = E_NOTFOUND;
    UINT i;

    TRACE("(%p)->(%p)\n", iface, client);
    if (!client) return E_POINTER;
    AcquireSRWLockExclusive(&clients_lock);
    for (i = 0; i < clients_count; i++)
        if (clients[i] == client)
        {
            memmove(&clients[i], &clients[i + 1], (clients_count - i - 1) * sizeof(*clients));
            clients_count--;
            hr = S_OK;
            break;
        }
    while (SUCCEEDED(hr) && client_in_call == client && client_call_thread != GetCurrentThreadId())
        SleepConditionVariableSRW(&client_call_done, &clients_lock, INFINITE, 0);
    ReleaseSRWLockExclusive(&clients_lock);
    return hr;
}

static const IMMDeviceEnumeratorVtbl enumerator_vtbl =
{
    enumerator_QueryInterface,
    enumerator_AddRef,
    enumerator_Release,
    enumerator_EnumAudioEndpoints,
    enumerator_GetDefaultAudioEndpoint,
    enumerator_GetDevice,
    enumerator_RegisterEndpointNotificationCallback,
    enumerator_UnregisterEndpointNotificationCallback,
};

/* The module holds a reference of its own, so that a program holding the enumerator counts 2 as on
 * Windows; the object lives as long as the process. */
static struct enumerator enumerator = { { &enumerator_vtbl }, 1 };

HRESULT enumerator_create(REFIID riid, void **out)
{
    HRESULT hr;

    if (FAILED(hr = devices_init())) return hr;
    return IMMDeviceEnumerator_QueryInterface(&enumerator.IMMDeviceEnumerator_iface, riid, out);
}
