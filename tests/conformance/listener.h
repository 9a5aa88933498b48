/* A listener for the conformance programs: an IMMNotificationClient and an IAudioSessionEvents
 * that record what they hear, in order, for a test to wait for. One per process, set up by
 * listener_init and taken down by listener_done. */
#ifndef MMDEVAPI_TESTS_LISTENER_H
#define MMDEVAPI_TESTS_LISTENER_H

#include <mmdeviceapi.h>
#include <audiopolicy.h>

/* What a client heard, in order. */
struct heard
{
    char what;          /* 'a' added, 'r' removed, 's' state, 'd' default, 'p' property (value: its pid),
                         * 'x' session disconnected */
    WCHAR id[64];       /* "" for none */
    DWORD value;        /* the state, the default's flow * 16 + role, the disconnect reason */
};

static const IMMNotificationClientVtbl listener_vtbl;
static const IAudioSessionEventsVtbl events_vtbl;

static struct
{
    IMMNotificationClient IMMNotificationClient_iface;
    IAudioSessionEvents IAudioSessionEvents_iface;
    CRITICAL_SECTION lock;
    HANDLE changed;
    struct heard heard[64];
    LONG count;
    IMMDeviceEnumerator *mme;
    HRESULT inner_hr;   /* of the enumerator's call from inside OnDefaultDeviceChanged */
} listener;

static inline void listener_init(IMMDeviceEnumerator *mme)
{
    InitializeCriticalSection(&listener.lock);
    listener.changed = CreateEventW(NULL, FALSE, FALSE, NULL);
    listener.IMMNotificationClient_iface.lpVtbl = &listener_vtbl;
    listener.IAudioSessionEvents_iface.lpVtbl = &events_vtbl;
    listener.mme = mme;
    listener.count = 0;
}

static inline void listener_done(void)
{
    CloseHandle(listener.changed);
    DeleteCriticalSection(&listener.lock);
}

static void hear(char what, const WCHAR *id, DWORD value)
{
    EnterCriticalSection(&listener.lock);
    if (listener.count < (LONG)ARRAY_SIZE(listener.heard))
    {
        listener.heard[listener.count].what = what;
        lstrcpynW(listener.heard[listener.count].id, id ? id : L"", ARRAY_SIZE(listener.heard[0].id));
        listener.heard[listener.count].value = value;
        listener.count++;
    }
    LeaveCriticalSection(&listener.lock);
    SetEvent(listener.changed);
}

static HRESULT WINAPI listener_OnDeviceStateChanged(IMMNotificationClient *iface, const WCHAR *id, DWORD state)
{
    hear('s', id, state);
    return S_OK;
}

static HRESULT WINAPI listener_OnDeviceAdded(IMMNotificationClient *iface, const WCHAR *id)
{
    hear('a', id, 0);
    return S_OK;
}

static HRESULT WINAPI listener_OnDefaultDeviceChanged(IMMNotificationClient *iface, EDataFlow flow, ERole role,
                                                      const WCHAR *id)
{
    IMMDevice *dev;

    /* A program may ask the enumerator from inside its callback. */
    if (id && SUCCEEDED(listener.inner_hr = IMMDeviceEnumerator_GetDevice(listener.mme, id, &dev)))
        IMMDevice_Release(dev);
    hear('d', id, flow * 16 + role);
    return S_OK;
}

/* Either interface answers itself and IUnknown: they hold no references. */
static HRESULT query_one(void *iface, REFIID asked, REFIID own, void **out)
{
    *out = IsEqualIID(asked, &IID_IUnknown) || IsEqualIID(asked, own) ? iface : NULL;
    return *out ? S_OK : E_NOINTERFACE;
}

static HRESULT WINAPI listener_QueryInterface(IMMNotificationClient *iface, REFIID iid, void **out)
{
    return query_one(iface, iid, &IID_IMMNotificationClient, out);
}

/* The listener lives as long as the process: no count to keep. */
static ULONG WINAPI listener_AddRef(IMMNotificationClient *iface) { return 2; }
static ULONG WINAPI listener_Release(IMMNotificationClient *iface) { return 1; }

static HRESULT WINAPI listener_OnDeviceRemoved(IMMNotificationClient *iface, const WCHAR *id)
{
    hear('r', id, 0);
    return S_OK;
}

static HRESULT WINAPI listener_OnPropertyValueChanged(IMMNotificationClient *iface, const WCHAR *id,
                                                      const PROPERTYKEY key)
{
    hear('p', id, key.pid);
    return S_OK;
}

static const IMMNotificationClientVtbl listener_vtbl =
{
    listener_QueryInterface,
    listener_AddRef,
    listener_Release,
    listener_OnDeviceStateChanged,
    listener_OnDeviceAdded,
    listener_OnDeviceRemoved,
    listener_OnDefaultDeviceChanged,
    listener_OnPropertyValueChanged,
};

static HRESULT WINAPI events_QueryInterface(IAudioSessionEvents *iface, REFIID iid, void **out)
{
    return query_one(iface, iid, &IID_IAudioSessionEvents, out);
}

static ULONG WINAPI events_AddRef(IAudioSessionEvents *iface) { return 2; }
static ULONG WINAPI events_Release(IAudioSessionEvents *iface) { return 1; }
static HRESULT WINAPI events_OnDisplayNameChanged(IAudioSessionEvents *iface, const WCHAR *name, const GUID *context) { return S_OK; }
static HRESULT WINAPI events_OnIconPathChanged(IAudioSessionEvents *iface, const WCHAR *path, const GUID *context) { return S_OK; }
static HRESULT WINAPI events_OnSimpleVolumeChanged(IAudioSessionEvents *iface, float volume, BOOL mute, const GUID *context) { return S_OK; }
static HRESULT WINAPI events_OnChannelVolumeChanged(IAudioSessionEvents *iface, DWORD count, float *volumes, DWORD changed, const GUID *context) { return S_OK; }
static HRESULT WINAPI events_OnGroupingParamChanged(IAudioSessionEvents *iface, const GUID *group, const GUID *context) { return S_OK; }
static HRESULT WINAPI events_OnStateChanged(IAudioSessionEvents *iface, AudioSessionState state) { return S_OK; }

static HRESULT WINAPI events_OnSessionDisconnected(IAudioSessionEvents *iface, AudioSessionDisconnectReason reason)
{
    hear('x', NULL, reason);
    return S_OK;
}

static const IAudioSessionEventsVtbl events_vtbl =
{
    events_QueryInterface,
    events_AddRef,
    events_Release,
    events_OnDisplayNameChanged,
    events_OnIconPathChanged,
    events_OnSimpleVolumeChanged,
    events_OnChannelVolumeChanged,
    events_OnGroupingParamChanged,
    events_OnStateChanged,
    events_OnSessionDisconnected,
};

/* Waits up to 2 s for what to be heard of id (NULL: any) with value (~0u: any), from the first
 * entry on; the index of the entry, -1 if it never came. */
static int wait_heard(LONG *from, char what, const WCHAR *id, DWORD value)
{
    DWORD start = GetTickCount();
    LONG i;

    for (;;)
    {
        EnterCriticalSection(&listener.lock);
        for (i = *from; i < listener.count; i++)
            if (listener.heard[i].what == what && (!id || !wcscmp(listener.heard[i].id, id))
                && (value == ~0u || listener.heard[i].value == value))
                break;
        LeaveCriticalSection(&listener.lock);
        if (i < listener.count) return i;
        if (GetTickCount() - start > 2000) return -1;
        WaitForSingleObject(listener.changed, 50);
    }
}

#endif
