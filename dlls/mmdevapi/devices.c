/* The endpoints: what the backend reports, kept in the process and in the registry where Windows
 * keeps them (HKLM\...\MMDevices\Audio\Render|Capture\{guid}), and IMMDevice / IMMEndpoint. */
#include <stdio.h>
#include "private.h"
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <audioclient.h>
#include <devicetopology.h>
#include <endpointvolume.h>
#include "audio_meter.h"
#include <audiopolicy.h>
#include <dsound.h>
#include <strmif.h>

#include "mmdevapi_pkeys.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

SRWLOCK devices_lock = SRWLOCK_INIT;

struct mmdevice **devices;
UINT devices_count;
static UINT devices_capacity;
static struct mmdevice *default_devices[2];
static struct mmdevice *reported_defaults[2];   /* what IMMNotificationClients were last told */
static BOOL watch_started;
static char backend_name[MMDEVAPI_BACKEND_NAME_MAX];
static BOOL unix_ready;

static const WCHAR audio_key_path[] = L"Software\\Microsoft\\Windows\\CurrentVersion\\MMDevices\\Audio";

static inline struct mmdevice *impl_from_IMMDevice(IMMDevice *iface)
{
    return CONTAINING_RECORD(iface, struct mmdevice, IMMDevice_iface);
}

static inline struct mmdevice *impl_from_IMMEndpoint(IMMEndpoint *iface)
{
    return CONTAINING_RECORD(iface, struct mmdevice, IMMEndpoint_iface);
}

static const WCHAR *flow_key_name(EDataFlow flow)
{
    return flow == eRender ? L"Render" : L"Capture";
}

/* An endpoint's GUID is a hash of what names it (backend, flow, the backend's own name), so that
 * its id stays the same across runs, restarts of the audio server and fresh prefixes. The pipewire
 * backend names a device by its node.name, as pipewire-pulse names its sinks and sources: it hashes
 * as pulse, so that a device keeps its id when the user switches between the two backends. */
static GUID endpoint_guid(EDataFlow flow, const char *backend, const char *key)
{
    UINT64 hash[2] = { 0xcbf29ce484222325ull, 0x6c62272e07bb0142ull };
    const char *parts[] = { strcmp(backend, "pipewire") ? backend : "pulse", flow == eRender ? "render" : "capture",
                            key };
    const unsigned char *p;
    GUID guid;
    size_t i;
    int h;

    for (h = 0; h < 2; h++)
        for (i = 0; i < ARRAY_SIZE(parts); i++)
            for (p = (const unsigned char *)parts[i]; ; p++)
            {
                hash[h] = (hash[h] ^ *p) * 0x100000001b3ull;
                if (!*p) break;
            }
    guid.Data1 = (DWORD)(hash[0] >> 32);
    guid.Data2 = (WORD)(hash[0] >> 16);
    guid.Data3 = ((WORD)hash[0] & 0x0fff) | 0x8000;    /* version 8: a custom, name-derived UUID */
    for (i = 0; i < 8; i++) guid.Data4[i] = (BYTE)(hash[1] >> (56 - 8 * i));
    guid.Data4[0] = (guid.Data4[0] & 0x3f) | 0x80;     /* RFC 4122 variant */
    return guid;
}

static void guid_to_string(const GUID *guid, WCHAR *buffer, size_t size)
{
    swprintf(buffer, size, L"{%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}", guid->Data1, guid->Data2,
             guid->Data3, guid->Data4[0], guid->Data4[1], guid->Data4[2], guid->Data4[3], guid->Data4[4],
             guid->Data4[5], guid->Data4[6], guid->Data4[7]);
}

/* The endpoints' keys are in the registry's 64-bit view, as on Windows: a 32-bit program's module
 * reads and writes the same keys as a 64-bit one's. */
HKEY device_open_key(const struct mmdevice *device, const WCHAR *subkey, REGSAM access)
{
    WCHAR path[256], guid[40];
    HKEY key;

    guid_to_string(&device->guid, guid, ARRAY_SIZE(guid));
    swprintf(path, ARRAY_SIZE(path), L"%s\\%s\\%s%s%s", audio_key_path, flow_key_name(device->flow), guid,
             subkey ? L"\\" : L"", subkey ? subkey : L"");
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, access | KEY_WOW64_64KEY, NULL, &key, NULL))
        return NULL;
    return key;
}

/* The endpoint's device interface path, under the name Windows gives its software device:
 * "\\?\SWD#MMDEVAPI#{0.0.F.00000000}.{guid}#{DEVINTERFACE_AUDIO_RENDER or _CAPTURE}". */
void device_interface_path(const struct mmdevice *device, WCHAR path[DEVICE_INTERFACE_PATH_MAX])
{
    WCHAR class[40];

    guid_to_string(device->flow == eRender ? &DEVINTERFACE_AUDIO_RENDER : &DEVINTERFACE_AUDIO_CAPTURE, class,
                   ARRAY_SIZE(class));
    swprintf(path, DEVICE_INTERFACE_PATH_MAX, L"\\\\?\\SWD#MMDEVAPI#%s#%s", device->id, class);
}

static const IMMDeviceVtbl device_vtbl;
static const IMMEndpointVtbl endpoint_vtbl;

/* Finds the endpoint of a GUID or adds it; NULL when out of memory. Called with devices_lock held. */
static struct mmdevice *device_get(EDataFlow flow, const GUID *guid, DWORD state)
{
    struct mmdevice *device, **grown;
    WCHAR guid_string[40];
    UINT i;

    for (i = 0; i < devices_count; i++)
        if (devices[i]->flow == flow && IsEqualGUID(&devices[i]->guid, guid)) return devices[i];

    if (devices_count == devices_capacity)
    {
        UINT capacity = devices_capacity ? devices_capacity * 2 : 8;
        if (!(grown = realloc(devices, capacity * sizeof(*devices)))) return NULL;
        devices = grown;
        devices_capacity = capacity;
    }
    if (!(device = calloc(1, sizeof(*device)))) return NULL;
    device->IMMDevice_iface.lpVtbl = &device_vtbl;
    device->IMMEndpoint_iface.lpVtbl = &endpoint_vtbl;
    device->flow = flow;
    device->state = state;
    device->guid = *guid;
    guid_to_string(guid, guid_string, ARRAY_SIZE(guid_string));
    swprintf(device->id, ARRAY_SIZE(device->id), L"{0.0.%u.00000000}.%s", flow, guid_string);
    devices[devices_count++] = device;
    return device;
}

static const WCHAR *device_description(UINT32 form_factor, EDataFlow flow)
{
    switch (form_factor)
    {
    case RemoteNetworkDevice: return L"Remote Audio";
    case LineLevel: return flow == eRender ? L"Line Out" : L"Line In";
    case Headphones: return L"Headphones";
    case Microphone: return L"Microphone";
    case Headset: return L"Headset";
    case Handset: return L"Handset";
    case SPDIF: return L"Digital Audio (S/PDIF)";
    case DigitalAudioDisplayDevice: return L"Digital Display";
    default: return flow == eRender ? L"Speakers" : L"Microphone";
    }
}

static void write_string(HKEY key, const PROPERTYKEY *pkey, const WCHAR *string)
{
    PROPVARIANT value = { .vt = VT_LPWSTR, .pwszVal = (WCHAR *)string };
    property_write(key, pkey, &value);
}

static void write_dword(HKEY key, const PROPERTYKEY *pkey, DWORD dword)
{
    PROPVARIANT value = { .vt = VT_UI4, .ulVal = dword };
    property_write(key, pkey, &value);
}

static void write_utf8(HKEY key, const PROPERTYKEY *pkey, const char *utf8)
{
    WCHAR string[MMDEVAPI_DEVICE_KEY_MAX];

    if (!MultiByteToWideChar(CP_UTF8, 0, utf8, -1, string, ARRAY_SIZE(string))) string[0] = 0;
    write_string(key, pkey, string);
}

/* Where Windows keeps the path of the kernel-streaming filter behind the endpoint, "{2}." and a device
 * interface path; programs read it to tell endpoints apart. There is no such filter here: it holds
 * the endpoint's own interface path, which names it to ActivateAudioInterfaceAsync. */
static const PROPERTYKEY device_interface_key =
    {{0x233164c8, 0x1b2c, 0x4c7d, {0xbc, 0x68, 0xb6, 0x71, 0x68, 0x7a, 0x25, 0x67}}, 1};

static void store_endpoint_properties(struct mmdevice *device, const struct endpoint_info *info)
{
    const struct endpoint_format *format = &info->format;
    WCHAR name[MMDEVAPI_DEVICE_NAME_MAX], friendly[MMDEVAPI_DEVICE_NAME_MAX + 64], guid[40];
    WCHAR path[DEVICE_INTERFACE_PATH_MAX], key_value[DEVICE_INTERFACE_PATH_MAX + 4];
    const WCHAR *description = device_description(info->form_factor, device->flow);
    WAVEFORMATEXTENSIBLE wfx = {{0}};
    PROPVARIANT blob = { .vt = VT_BLOB };
    HKEY key;

    if (!(key = device_open_key(device, L"Properties", KEY_ALL_ACCESS))) return;

    if (!MultiByteToWideChar(CP_UTF8, 0, info->name, -1, name, ARRAY_SIZE(name))) name[0] = 0;
    swprintf(friendly, ARRAY_SIZE(friendly), L"%s (%s)", description, name);
    write_string(key, &PKEY_Device_FriendlyName, friendly);
    write_string(key, &PKEY_Device_DeviceDesc, description);
    write_string(key, &PKEY_DeviceInterface_FriendlyName, name);
    write_dword(key, &PKEY_AudioEndpoint_FormFactor, info->form_factor);
    write_dword(key, &PKEY_AudioEndpoint_PhysicalSpeakers, format->channel_mask);
    StringFromGUID2(&device->guid, guid, ARRAY_SIZE(guid));
    write_string(key, &PKEY_AudioEndpoint_GUID, guid);
    device_interface_path(device, path);
    swprintf(key_value, ARRAY_SIZE(key_value), L"{2}.%s", path);
    write_string(key, &device_interface_key, key_value);
    write_utf8(key, &PKEY_MMDevapi_Backend, backend_name);
    write_utf8(key, &PKEY_MMDevapi_BackendDevice, info->key);

    wfx.Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
    wfx.Format.nChannels = format->channels;
    wfx.Format.nSamplesPerSec = format->rate;
    wfx.Format.wBitsPerSample = format->bits;
    wfx.Format.nBlockAlign = format->channels * format->bits / 8;
    wfx.Format.nAvgBytesPerSec = wfx.Format.nBlockAlign * format->rate;
    wfx.Format.cbSize = sizeof(wfx) - sizeof(wfx.Format);
    wfx.Samples.wValidBitsPerSample = format->valid_bits;
    wfx.dwChannelMask = format->channel_mask;
    wfx.SubFormat = format->is_float ? KSDATAFORMAT_SUBTYPE_IEEE_FLOAT : KSDATAFORMAT_SUBTYPE_PCM;
    blob.blob.cbSize = sizeof(wfx);
    blob.blob.pBlobData = (BYTE *)&wfx;
    property_write(key, &PKEY_AudioEngine_DeviceFormat, &blob);
    RegCloseKey(key);
}

/* Endpoints seen in earlier runs stay known to Windows programs, as not present. */
static void load_known_endpoints(EDataFlow flow)
{
    WCHAR path[128], name[64];
    DWORD index, size;
    GUID guid;
    HKEY key;

    swprintf(path, ARRAY_SIZE(path), L"%s\\%s", audio_key_path, flow_key_name(flow));
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ | KEY_WOW64_64KEY, &key)) return;
    for (index = 0; size = ARRAY_SIZE(name), !RegEnumKeyExW(key, index, name, &size, NULL, NULL, NULL, NULL); index++)
        if (size == 38 && CLSIDFromString(name, &guid) == S_OK)
            device_get(flow, &guid, DEVICE_STATE_NOTPRESENT);
    RegCloseKey(key);
}

/* Brings the endpoints of one flow up to date with the backend. Called with devices_lock held. */
static void refresh_flow(EDataFlow flow, struct endpoint_info *endpoints)
{
    struct get_endpoints_params params = { .flow = flow, .capacity = MMDEVAPI_ENDPOINTS_MAX, .endpoints = endpoints };
    struct mmdevice *device;
    UINT i;
    HKEY key;

    if (!unix_ready || wine_unix_call(unix_get_endpoints, &params) || FAILED(params.result))
        params.count = 0;

    for (i = 0; i < devices_count; i++)
        if (devices[i]->flow == flow && devices[i]->state == DEVICE_STATE_ACTIVE)
            devices[i]->state = DEVICE_STATE_NOTPRESENT;
    default_devices[flow] = NULL;

    for (i = 0; i < params.count; i++)
    {
        GUID guid = endpoint_guid(flow, backend_name, endpoints[i].key);
        if (!(device = device_get(flow, &guid, DEVICE_STATE_ACTIVE))) continue;
        device->state = DEVICE_STATE_ACTIVE;
        memcpy(device->key, endpoints[i].key, sizeof(device->key));
        device->format = endpoints[i].format;
        store_endpoint_properties(device, &endpoints[i]);
        if (i == params.default_index) default_devices[flow] = device;
    }
    load_known_endpoints(flow);

    for (i = 0; i < devices_count; i++)
    {
        if (devices[i]->flow != flow) continue;
        if (!(key = device_open_key(devices[i], NULL, KEY_QUERY_VALUE | KEY_SET_VALUE))) continue;
        registry_set_value(key, L"DeviceState", REG_DWORD, &devices[i]->state, sizeof(DWORD));
        RegCloseKey(key);
    }
}

/* Wine's own setting: HKCU\Software\Wine\Drivers, "Audio". */
static void choose_backend(void)
{
    struct process_attach_params params = {0};
    WCHAR request[MMDEVAPI_BACKEND_REQUEST_MAX];
    DWORD size = sizeof(request), type;
    HKEY key;

    if (!RegOpenKeyExW(HKEY_CURRENT_USER, L"Software\\Wine\\Drivers", 0, KEY_QUERY_VALUE, &key))
    {
        if (!RegQueryValueExW(key, L"Audio", NULL, &type, (BYTE *)request, &size) && type == REG_SZ)
        {
            request[min(size / sizeof(WCHAR), ARRAY_SIZE(request) - 1)] = 0;
            params.has_request = TRUE;
            WideCharToMultiByte(CP_UTF8, 0, request, -1, params.request, sizeof(params.request), NULL, NULL);
        }
        RegCloseKey(key);
    }
    if (wine_unix_call(unix_process_attach, &params) || FAILED(params.result))
    {
        ERR("the Linux side failed to start\n");
        return;
    }
    memcpy(backend_name, params.backend, sizeof(backend_name));
    backend_name[sizeof(backend_name) - 1] = 0;
    unix_ready = TRUE;
    TRACE("backend %s\n", debugstr_a(backend_name));
    session_name_program(NULL);
}

static BOOL WINAPI init_once(INIT_ONCE *once, void *param, void **context)
{
    if (!__wine_init_unix_call()) choose_backend();
    else ERR("mmdevapi.so could not be loaded\n");
    return TRUE;
}

/* With devices_lock: the notification clients know the endpoints as they are now. */
static void mark_reported(void)
{
    UINT i;

    for (i = 0; i < devices_count; i++)
    {
        devices[i]->reported = TRUE;
        devices[i]->reported_state = devices[i]->state;
    }
    memcpy(reported_defaults, default_devices, sizeof(reported_defaults));
}

/* Loads the backend once, then brings the endpoint list up to date. What changed is told to the
 * notification clients by the watch thread, once it runs, whoever looked first. */
HRESULT devices_init(void)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    struct endpoint_info *endpoints;

    InitOnceExecuteOnce(&once, init_once, NULL, NULL);
    if (!(endpoints = malloc(MMDEVAPI_ENDPOINTS_MAX * sizeof(*endpoints)))) return E_OUTOFMEMORY;
    AcquireSRWLockExclusive(&devices_lock);
    refresh_flow(eRender, endpoints);
    refresh_flow(eCapture, endpoints);
    if (!watch_started) mark_reported();
    ReleaseSRWLockExclusive(&devices_lock);
    free(endpoints);
    return S_OK;
}

static void add_change(struct endpoint_change *change, enum endpoint_change_kind kind, const struct mmdevice *device)
{
    change->kind = kind;
    if ((change->has_id = !!device))
    {
        memcpy(change->id, device->id, sizeof(change->id));
        change->state = device->state;
    }
}

/* The backend says endpoints came or went, or a default changed: the list is brought up to date;
 * the notification clients hear what changed since they were last told (an endpoint new to the
 * process is added, then, if active, in that state too); the streams and sessions of an endpoint
 * that went away are invalidated and disconnected for reason. */
static void endpoints_changed(AudioSessionDisconnectReason reason)
{
    struct engine_device_gone_params gone_params;
    struct endpoint_change *changes = NULL;
    struct endpoint_info *endpoints;
    struct mmdevice **gone = NULL, *device, *new_defaults[2] = { NULL, NULL };
    UINT32 count = 0, gone_count = 0, i;
    EDataFlow flow;

    if (!(endpoints = malloc(MMDEVAPI_ENDPOINTS_MAX * sizeof(*endpoints)))) return;
    AcquireSRWLockExclusive(&devices_lock);
    refresh_flow(eRender, endpoints);
    refresh_flow(eCapture, endpoints);
    if ((changes = calloc(devices_count * 2 + 2, sizeof(*changes))) && (gone = calloc(devices_count + 1, sizeof(*gone))))
    {
        for (i = 0; i < devices_count; i++)
        {
            device = devices[i];
            if (!device->reported) add_change(&changes[count++], ENDPOINT_ADDED, device);
            if (device->reported ? device->reported_state != device->state : device->state == DEVICE_STATE_ACTIVE)
                add_change(&changes[count++], ENDPOINT_STATE, device);
            if (device->reported && device->reported_state == DEVICE_STATE_ACTIVE && device->state != DEVICE_STATE_ACTIVE)
                gone[gone_count++] = device;
        }
        for (flow = eRender; flow <= eCapture; flow++)
            if (default_devices[flow] != reported_defaults[flow])
            {
                add_change(&changes[count], ENDPOINT_DEFAULT, default_devices[flow]);
                changes[count++].flow = flow;
                new_defaults[flow] = default_devices[flow];
            }
        mark_reported();
    }
    ReleaseSRWLockExclusive(&devices_lock);
    free(endpoints);

    /* Streams that follow the default move before those left on an endpoint that went are
     * invalidated. */
    for (flow = eRender; flow <= eCapture; flow++)
        if (new_defaults[flow]) audio_clients_follow_default(flow, new_defaults[flow]);
    for (i = 0; i < gone_count; i++)
    {
        TRACE("endpoint %s went away\n", debugstr_w(gone[i]->id));
        /* Engines are made once and never freed: reading their handles needs no lock. */
        if ((gone_params.engine = gone[i]->engine)) wine_unix_call(unix_engine_device_gone, &gone_params);
        if ((gone_params.engine = gone[i]->loopback_engine)) wine_unix_call(unix_engine_device_gone, &gone_params);
        sessions_disconnect(gone[i], reason);
    }
    notify_endpoint_clients(changes, count);
    free(changes);
    free(gone);
}

/* The watch thread: wakes when the Linux side says something changed, and has it told. */
static DWORD WINAPI watch_thread(void *arg)
{
    struct endpoints_watch_params params;
    BOOL reachable = TRUE;

    SetThreadDescription(GetCurrentThread(), L"mmdevapi endpoint watch");
    for (;;)
    {
        params.timeout_ms = 1000;
        if (wine_unix_call(unix_endpoints_watch, &params) || FAILED(params.result))
        {
            /* The server went away, and its endpoints with it. Look again a little later. */
            if (reachable) endpoints_changed(DisconnectReasonServerShutdown);
            reachable = FALSE;
            Sleep(500);
            continue;
        }
        reachable = TRUE;
        if (params.changes & MMDEVAPI_CHANGED_ENDPOINTS) endpoints_changed(DisconnectReasonDeviceRemoval);
        if (params.changes & MMDEVAPI_CHANGED_VOLUME) endpoint_volumes_changed();
    }
    return 0;
}

void devices_watch_start(void)
{
    HMODULE module;
    HANDLE thread;

    AcquireSRWLockExclusive(&devices_lock);
    if (!watch_started && unix_ready
        && GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                              (const WCHAR *)watch_thread, &module))
    {
        if ((thread = CreateThread(NULL, 0, watch_thread, NULL, 0, NULL)))
        {
            CloseHandle(thread);
            watch_started = TRUE;
        }
        else ERR("no thread to watch the endpoints: %lu\n", GetLastError());
    }
    ReleaseSRWLockExclusive(&devices_lock);
}

/* Lives in one of the engine's long-running calls; returns only if the engine could not run. */
static void run_engine_call(void *arg, unsigned int call, const WCHAR *name)
{
    struct engine_run_params params = { .engine = *(UINT64 *)arg };

    free(arg);

    SetThreadDescription(GetCurrentThread(), name);
    if (wine_unix_call(call, &params) || FAILED(params.result))
        ERR("engine thread %s stopped: %#lx\n", debugstr_w(name), params.result);
}

static DWORD WINAPI engine_thread(void *arg)
{
    run_engine_call(arg, unix_engine_run, L"mmdevapi engine");
    return 0;
}

static DWORD WINAPI signal_thread(void *arg)
{
    run_engine_call(arg, unix_engine_signal, L"mmdevapi events");
    return 0;
}

/* The engine's threads mix and signal in time for the device: the process's most urgent. Each gets
 * the engine's handle in memory of its own: a 64-bit handle does not fit a 32-bit thread argument. */
static HRESULT start_engine_thread(LPTHREAD_START_ROUTINE proc, UINT64 engine)
{
    UINT64 *arg;
    HANDLE thread;

    if (!(arg = malloc(sizeof(*arg)))) return E_OUTOFMEMORY;
    *arg = engine;
    if (!(thread = CreateThread(NULL, 0, proc, arg, 0, NULL)))
    {
        free(arg);
        return HRESULT_FROM_WIN32(GetLastError());
    }
    SetThreadPriority(thread, THREAD_PRIORITY_TIME_CRITICAL);
    CloseHandle(thread);
    return S_OK;
}

/* With devices_lock: whether the endpoint is there to play or record. */
BOOL device_present(const struct mmdevice *device)
{
    return device->state == DEVICE_STATE_ACTIVE && unix_ready;
}

/* An engine of an endpoint, started with its threads on first use: the endpoint's own, or
 * (MMDEVAPI_LOOPBACK) the capture engine that records what a render endpoint plays, or
 * (MMDEVAPI_PROCESS_LOOPBACK) one that records a process tree's part of it; *slot and the periods
 * after it are where it is kept. AUDCLNT_E_DEVICE_INVALIDATED while the endpoint is gone, made
 * or not. */
static SRWLOCK engine_lock = SRWLOCK_INIT;

static HRESULT engine_of(struct mmdevice *device, UINT32 flow, DWORD target, BOOL exclude, UINT64 *slot,
                         UINT32 *slot_period, UINT32 *slot_min_period, UINT64 *engine, UINT32 *period_frames,
                         UINT32 *min_period_frames)
{
    struct engine_create_params params = { .flow = flow, .target_process_id = target, .exclude_target = exclude };
    HRESULT hr = S_OK;

    AcquireSRWLockExclusive(&engine_lock);
    AcquireSRWLockShared(&devices_lock);
    if (!device_present(device)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    memcpy(params.key, device->key, sizeof(params.key));
    params.format = device->format;
    ReleaseSRWLockShared(&devices_lock);
    if (SUCCEEDED(hr) && !*slot)
    {
        if ((wine_unix_call(unix_engine_create, &params) || FAILED(hr = params.result)))
            hr = FAILED(params.result) ? params.result : E_FAIL;
        if (SUCCEEDED(hr) && SUCCEEDED(hr = start_engine_thread(engine_thread, params.engine))
            && SUCCEEDED(hr = start_engine_thread(signal_thread, params.engine)))
        {
            *slot = params.engine;
            *slot_period = params.period_frames;
            *slot_min_period = params.min_period_frames;
        }
    }
    *engine = *slot;
    *period_frames = *slot_period;
    *min_period_frames = *slot_min_period;
    ReleaseSRWLockExclusive(&engine_lock);
    return hr;
}

HRESULT device_engine(struct mmdevice *device, UINT64 *engine, UINT32 *period_frames, UINT32 *min_period_frames)
{
    return engine_of(device, device->flow, 0, FALSE, &device->engine, &device->period_frames,
                     &device->min_period_frames, engine, period_frames, min_period_frames);
}

HRESULT device_loopback_engine(struct mmdevice *device, UINT64 *engine, UINT32 *period_frames,
                               UINT32 *min_period_frames)
{
    return engine_of(device, MMDEVAPI_LOOPBACK, 0, FALSE, &device->loopback_engine, &device->loopback_period_frames,
                     &device->loopback_min_period_frames, engine, period_frames, min_period_frames);
}

/* Process loopback's engines, one an endpoint, target and mode, shared by the streams that record
 * the same and kept, as every engine is (engine_lock). */
struct process_engine
{
    struct process_engine *next;
    struct mmdevice *device;
    DWORD target;
    BOOL exclude;
    UINT64 engine;
    UINT32 period_frames, min_period_frames;
};
static struct process_engine *process_engines;

HRESULT device_process_loopback_engine(struct mmdevice *device, DWORD target, BOOL exclude, UINT64 *engine,
                                       UINT32 *period_frames, UINT32 *min_period_frames)
{
    struct process_engine *entry;

    AcquireSRWLockExclusive(&engine_lock);
    for (entry = process_engines; entry; entry = entry->next)
        if (entry->device == device && entry->target == target && entry->exclude == exclude) break;
    if (!entry && (entry = calloc(1, sizeof(*entry))))
    {
        entry->device = device;
        entry->target = target;
        entry->exclude = exclude;
        entry->next = process_engines;
        process_engines = entry;
    }
    ReleaseSRWLockExclusive(&engine_lock);
    if (!entry) return E_OUTOFMEMORY;
    return engine_of(device, MMDEVAPI_PROCESS_LOOPBACK, target, exclude, &entry->engine, &entry->period_frames,
                     &entry->min_period_frames, engine, period_frames, min_period_frames);
}

struct mmdevice *device_default(EDataFlow flow)
{
    struct mmdevice *device;

    AcquireSRWLockExclusive(&devices_lock);
    device = default_devices[flow];
    ReleaseSRWLockExclusive(&devices_lock);
    return device;
}

struct mmdevice *device_find(const WCHAR *id)
{
    struct mmdevice *device = NULL;
    UINT i;

    AcquireSRWLockExclusive(&devices_lock);
    for (i = 0; i < devices_count && !device; i++)
        if (!wcsicmp(devices[i]->id, id)) device = devices[i];
    ReleaseSRWLockExclusive(&devices_lock);
    return device;
}

static HRESULT WINAPI device_QueryInterface(IMMDevice *iface, REFIID riid, void **out)
{
    struct mmdevice *device = impl_from_IMMDevice(iface);

    TRACE("(%p)->(%s, %p)\n", device, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMMDevice))
        *out = &device->IMMDevice_iface;
    else if (IsEqualIID(riid, &IID_IMMEndpoint))
        *out = &device->IMMEndpoint_iface;
    else
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*out);
    return S_OK;
}

/* Endpoints live as long as the process: the counts only keep COM's contract. */
static ULONG WINAPI device_AddRef(IMMDevice *iface)
{
    return 2;
}

static ULONG WINAPI device_Release(IMMDevice *iface)
{
    return 1;
}

static HRESULT WINAPI device_Activate(IMMDevice *iface, REFIID riid, DWORD clsctx, PROPVARIANT *params, void **out)
{
    struct mmdevice *device = impl_from_IMMDevice(iface);
    BOOL present;

    TRACE("(%p)->(%s, %#lx, %p, %p)\n", device, debugstr_guid(riid), clsctx, params, out);
    if (!riid || !out) return E_POINTER;
    *out = NULL;
    if (IsEqualIID(riid, &IID_IAudioClient) || IsEqualIID(riid, &IID_IAudioClient2)
        || IsEqualIID(riid, &IID_IAudioClient3))
    {
        AcquireSRWLockShared(&devices_lock);
        present = device_present(device);
        ReleaseSRWLockShared(&devices_lock);
        /* As Windows documents for an endpoint the user removed. */
        return present ? audio_client_create(device, riid, out) : AUDCLNT_E_DEVICE_INVALIDATED;
    }
    if (IsEqualIID(riid, &IID_IAudioSessionManager) || IsEqualIID(riid, &IID_IAudioSessionManager2))
        return session_manager_create(device, riid, out);
    if (IsEqualIID(riid, &IID_IAudioEndpointVolume) || IsEqualIID(riid, &IID_IAudioEndpointVolumeEx))
        return endpoint_volume_create(device, riid, out);
    if (IsEqualIID(riid, &IID_IAudioMeterInformation))
        return audio_meter_create(device, riid, out);
    if (IsEqualIID(riid, &IID_IDeviceTopology))
        return topology_create(device, (IDeviceTopology **)out);
    if (IsEqualIID(riid, &IID_IDirectSound) || IsEqualIID(riid, &IID_IDirectSound8))
        return dsound_create(device, riid, clsctx, out);
    if (IsEqualIID(riid, &IID_IDirectSoundCapture))    /* IID_IDirectSoundCapture8 is the same */
        return dsound_capture_create(device, clsctx, out);
    if (IsEqualIID(riid, &IID_IBaseFilter))
        return dsound_renderer_create(device, clsctx, out);
    FIXME("interface %s not implemented yet\n", debugstr_guid(riid));
    return E_NOINTERFACE;
}

static HRESULT WINAPI device_OpenPropertyStore(IMMDevice *iface, DWORD access, IPropertyStore **out)
{
    struct mmdevice *device = impl_from_IMMDevice(iface);

    TRACE("(%p)->(%#lx, %p)\n", device, access, out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (access != STGM_READ && access != STGM_WRITE && access != STGM_READWRITE) return E_INVALIDARG;
    return property_store_create(device, access, out);
}

static HRESULT WINAPI device_GetId(IMMDevice *iface, WCHAR **id)
{
    struct mmdevice *device = impl_from_IMMDevice(iface);
    size_t size = (wcslen(device->id) + 1) * sizeof(WCHAR);

    TRACE("(%p)->(%p)\n", device, id);
    if (!id) return E_POINTER;
    if (!(*id = CoTaskMemAlloc(size))) return E_OUTOFMEMORY;
    memcpy(*id, device->id, size);
    return S_OK;
}

static HRESULT WINAPI device_GetState(IMMDevice *iface, DWORD *state)
{
    struct mmdevice *device = impl_from_IMMDevice(iface);

    TRACE("(%p)->(%p)\n", device, state);
    if (!state) return E_POINTER;
    AcquireSRWLockExclusive(&devices_lock);
    *state = device->state;
    ReleaseSRWLockExclusive(&devices_lock);
    return S_OK;
}

static const IMMDeviceVtbl device_vtbl =
{
    device_QueryInterface,
    device_AddRef,
    device_Release,
    device_Activate,
    device_OpenPropertyStore,
    device_GetId,
    device_GetState,
};

static HRESULT WINAPI endpoint_QueryInterface(IMMEndpoint *iface, REFIID riid, void **out)
{
    return device_QueryInterface(&impl_from_IMMEndpoint(iface)->IMMDevice_iface, riid, out);
}

static ULONG WINAPI endpoint_AddRef(IMMEndpoint *iface)
{
    return device_AddRef(&impl_from_IMMEndpoint(iface)->IMMDevice_iface);
}

static ULONG WINAPI endpoint_Release(IMMEndpoint *iface)
{
    return device_Release(&impl_from_IMMEndpoint(iface)->IMMDevice_iface);
}

static HRESULT WINAPI endpoint_GetDataFlow(IMMEndpoint *iface, EDataFlow *flow)
{
    struct mmdevice *device = impl_from_IMMEndpoint(iface);

    TRACE("(%p)->(%p)\n", device, flow);
    if (!flow) return E_POINTER;
    *flow = device->flow;
    return S_OK;
}

static const IMMEndpointVtbl endpoint_vtbl =
{
    endpoint_QueryInterface,
    endpoint_AddRef,
    endpoint_Release,
    endpoint_GetDataFlow,
};
