/*
 * Audio sessions on the default render endpoint: IAudioSessionControl(2), ISimpleAudioVolume,
 * IChannelAudioVolume from a stream's GetService and from IAudioSessionManager2, the session
 * enumerator, IAudioSessionEvents, and the session's volumes as they reach the backend.
 *
 *   (a) references as Windows counts them: GetService hands out one object a stream for the three
 *       session interfaces, which holds the stream; IAudioSessionControl2 only through
 *       QueryInterface; AUDCLNT_E_NOT_INITIALIZED before Initialize
 *   (b) states: Inactive, Active while a member runs, Expired when the last member is gone; the
 *       callbacks (OnStateChanged, OnSimpleVolumeChanged, OnChannelVolumeChanged,
 *       OnDisplayNameChanged) arrive with the caller's context GUID, and a callback may call the
 *       session; IAudioSessionNotification::OnSessionCreated for a session made later; duck
 *       notifications registered and unregistered
 *   (c) argument checks: levels outside 0..1 and NaN, channel indices and counts (E_INVALIDARG),
 *       NULL pointers (RPC's error, as Windows' proxies answer); a volume set through the session
 *       manager before any stream exists is the volume of the stream that joins later
 *   (d) a session at master volume 0.5 with channel volumes (1, 0.5): what reached the backend is
 *       the signal times 0.5 on the left and 0.25 on the right, exactly (pulse and alsa, from the
 *       harness's recording)
 *   (e) other processes' sessions (PulseAudio, PipeWire): a pacat playing on the sink, turned down
 *       with pactl, and a second Wine process of ours are sessions of the enumerator, with their
 *       process ids, names, states and volumes; a volume and mute set reach the server; gone,
 *       they have expired
 */

#define COBJMACROS
#define CONST_VTABLE
#include "recording.h"

#include <math.h>
#include <stdlib.h>
#include <objbase.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <audiopolicy.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>

#define NULL_PTR_ERR HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER)

/* GUID_NULL and IID_IUnknown of our own: libuuid's would clash with the GUIDs initguid.h defines here. */
static const GUID no_context;
static const GUID iid_unknown = {0x00000000, 0x0000, 0x0000, {0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};

static struct test_env env;
static IMMDevice *dev;

/* duration: the buffer's, in 100 ns units. */
static IAudioClient *client_with_buffer(const GUID *session, REFERENCE_TIME duration)
{
    IAudioClient *ac = NULL;
    WAVEFORMATEX *wfx = NULL;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&ac);
    ok(hr == S_OK, "Activate(IAudioClient): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return NULL;
    hr = IAudioClient_GetMixFormat(ac, &wfx);
    ok(hr == S_OK, "GetMixFormat: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK) hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, duration, 0, wfx, session);
    ok(hr == S_OK, "Initialize in session %s: got %08lx, expected S_OK\n", session ? "given" : "NULL", hr);
    CoTaskMemFree(wfx);
    if (hr == S_OK) return ac;
    IAudioClient_Release(ac);
    return NULL;
}

static IAudioClient *client_in_session(const GUID *session)
{
    return client_with_buffer(session, 2000000);
}

/* ---- (a) References ----------------------------------------------------------------------------------- */

static void test_references(void)
{
    IAudioSessionControl *ctl, *ctl_again;
    IAudioSessionControl2 *ctl2;
    IChannelAudioVolume *cav;
    ISimpleAudioVolume *sav;
    IAudioClient *ac;
    void *unk;
    ULONG ref;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&ac);
    ok(hr == S_OK, "Activate(IAudioClient): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    unk = (void *)0xdeadbeef;
    hr = IAudioClient_GetService(ac, &IID_ISimpleAudioVolume, &unk);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED && !unk, "GetService(ISimpleAudioVolume) before Initialize: got %08lx %p, "
       "expected AUDCLNT_E_NOT_INITIALIZED and NULL\n", hr, unk);
    IAudioClient_Release(ac);

    if (!(ac = client_in_session(NULL))) return;
    hr = IAudioClient_GetService(ac, &IID_IAudioSessionControl2, &unk);
    ok(hr == E_NOINTERFACE, "GetService(IAudioSessionControl2): got %08lx, expected E_NOINTERFACE\n", hr);

    hr = IAudioClient_GetService(ac, &IID_IAudioSessionControl, (void **)&ctl);
    ok(hr == S_OK, "GetService(IAudioSessionControl): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;
    hr = IAudioClient_GetService(ac, &IID_IAudioSessionControl, (void **)&ctl_again);
    ok(hr == S_OK && ctl_again == ctl, "GetService(IAudioSessionControl) again: got %08lx %p, expected S_OK "
       "and the same %p\n", hr, ctl_again, ctl);
    ref = IAudioSessionControl_Release(ctl_again);
    ok(ref == 1, "Release of the second reference: got %lu, expected 1\n", ref);

    /* The volumes are the same object. */
    hr = IAudioClient_GetService(ac, &IID_ISimpleAudioVolume, (void **)&sav);
    ok(hr == S_OK, "GetService(ISimpleAudioVolume): got %08lx, expected S_OK\n", hr);
    hr = IAudioClient_GetService(ac, &IID_IChannelAudioVolume, (void **)&cav);
    ok(hr == S_OK, "GetService(IChannelAudioVolume): got %08lx, expected S_OK\n", hr);
    if (sav) ISimpleAudioVolume_Release(sav);
    if (cav) IChannelAudioVolume_Release(cav);
    hr = IAudioSessionControl_QueryInterface(ctl, &IID_IAudioSessionControl2, (void **)&ctl2);
    ok(hr == S_OK, "QueryInterface(IAudioSessionControl2): got %08lx, expected S_OK\n", hr);
    ref = IAudioSessionControl2_Release(ctl2);
    ok(ref == 1, "Release after QueryInterface: got %lu, expected 1\n", ref);

    /* The stream lives while its session control does. */
    ref = IAudioClient_Release(ac);
    ok(ref == 1, "IAudioClient::Release with the control held: got %lu, expected 1\n", ref);
    ref = IAudioSessionControl_Release(ctl);
    ok(ref == 0, "Release of the control: got %lu, expected 0\n", ref);
    return;
done:
    IAudioClient_Release(ac);
}

/* ---- (b) States and callbacks -------------------------------------------------------------------------- */

struct sink
{
    IAudioSessionEvents IAudioSessionEvents_iface;
    LONG ref;
    HANDLE event;           /* set at each callback */
    CRITICAL_SECTION lock;
    AudioSessionState state;
    float volume;
    BOOL mute;
    DWORD changed_channel;
    float channels[2];
    WCHAR name[64];
    GUID context;
    LONG calls;
    ISimpleAudioVolume *reenter;    /* called from OnSimpleVolumeChanged when set */
    HRESULT reenter_hr;
};

static struct sink *impl_from_IAudioSessionEvents(IAudioSessionEvents *iface)
{
    return CONTAINING_RECORD(iface, struct sink, IAudioSessionEvents_iface);
}

static HRESULT WINAPI sink_QueryInterface(IAudioSessionEvents *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &iid_unknown) || IsEqualIID(riid, &IID_IAudioSessionEvents))
    {
        *out = iface;
        IAudioSessionEvents_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI sink_AddRef(IAudioSessionEvents *iface)
{
    return InterlockedIncrement(&impl_from_IAudioSessionEvents(iface)->ref);
}

static ULONG WINAPI sink_Release(IAudioSessionEvents *iface)
{
    return InterlockedDecrement(&impl_from_IAudioSessionEvents(iface)->ref);
}

static void sink_called(struct sink *sink, const GUID *context)
{
    sink->context = context ? *context : no_context;
    InterlockedIncrement(&sink->calls);
    LeaveCriticalSection(&sink->lock);
    SetEvent(sink->event);
}

static HRESULT WINAPI sink_OnDisplayNameChanged(IAudioSessionEvents *iface, const WCHAR *name, const GUID *context)
{
    struct sink *sink = impl_from_IAudioSessionEvents(iface);

    EnterCriticalSection(&sink->lock);
    lstrcpynW(sink->name, name, ARRAY_SIZE(sink->name));
    sink_called(sink, context);
    return S_OK;
}

static HRESULT WINAPI sink_OnIconPathChanged(IAudioSessionEvents *iface, const WCHAR *path, const GUID *context)
{
    struct sink *sink = impl_from_IAudioSessionEvents(iface);

    EnterCriticalSection(&sink->lock);
    sink_called(sink, context);
    return S_OK;
}

static HRESULT WINAPI sink_OnSimpleVolumeChanged(IAudioSessionEvents *iface, float volume, BOOL mute,
                                                 const GUID *context)
{
    struct sink *sink = impl_from_IAudioSessionEvents(iface);

    float level;

    EnterCriticalSection(&sink->lock);
    sink->volume = volume;
    sink->mute = mute;
    /* A program may call the session from its callback. */
    if (sink->reenter) sink->reenter_hr = ISimpleAudioVolume_GetMasterVolume(sink->reenter, &level);
    sink_called(sink, context);
    return S_OK;
}

static HRESULT WINAPI sink_OnChannelVolumeChanged(IAudioSessionEvents *iface, DWORD count, float *volumes,
                                                  DWORD changed, const GUID *context)
{
    struct sink *sink = impl_from_IAudioSessionEvents(iface);

    EnterCriticalSection(&sink->lock);
    sink->changed_channel = changed;
    if (count >= 2) memcpy(sink->channels, volumes, sizeof(sink->channels));
    sink_called(sink, context);
    return S_OK;
}

static HRESULT WINAPI sink_OnGroupingParamChanged(IAudioSessionEvents *iface, const GUID *group, const GUID *context)
{
    struct sink *sink = impl_from_IAudioSessionEvents(iface);

    EnterCriticalSection(&sink->lock);
    sink_called(sink, context);
    return S_OK;
}

static HRESULT WINAPI sink_OnStateChanged(IAudioSessionEvents *iface, AudioSessionState state)
{
    struct sink *sink = impl_from_IAudioSessionEvents(iface);

    EnterCriticalSection(&sink->lock);
    sink->state = state;
    sink_called(sink, NULL);
    return S_OK;
}

static HRESULT WINAPI sink_OnSessionDisconnected(IAudioSessionEvents *iface, AudioSessionDisconnectReason reason)
{
    struct sink *sink = impl_from_IAudioSessionEvents(iface);

    EnterCriticalSection(&sink->lock);
    sink_called(sink, NULL);
    return S_OK;
}

static const IAudioSessionEventsVtbl sink_vtbl =
{
    sink_QueryInterface,
    sink_AddRef,
    sink_Release,
    sink_OnDisplayNameChanged,
    sink_OnIconPathChanged,
    sink_OnSimpleVolumeChanged,
    sink_OnChannelVolumeChanged,
    sink_OnGroupingParamChanged,
    sink_OnStateChanged,
    sink_OnSessionDisconnected,
};

/* IAudioSessionNotification: counts OnSessionCreated. */
struct notification
{
    IAudioSessionNotification IAudioSessionNotification_iface;
    LONG ref;
    HANDLE event;
    HRESULT state_hr;           /* of GetState on the control it got */
};

static struct notification *impl_from_IAudioSessionNotification(IAudioSessionNotification *iface)
{
    return CONTAINING_RECORD(iface, struct notification, IAudioSessionNotification_iface);
}

static HRESULT WINAPI notification_QueryInterface(IAudioSessionNotification *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &iid_unknown) || IsEqualIID(riid, &IID_IAudioSessionNotification))
    {
        *out = iface;
        IAudioSessionNotification_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI notification_AddRef(IAudioSessionNotification *iface)
{
    return InterlockedIncrement(&impl_from_IAudioSessionNotification(iface)->ref);
}

static ULONG WINAPI notification_Release(IAudioSessionNotification *iface)
{
    return InterlockedDecrement(&impl_from_IAudioSessionNotification(iface)->ref);
}

static HRESULT WINAPI notification_OnSessionCreated(IAudioSessionNotification *iface, IAudioSessionControl *ctl)
{
    struct notification *notification = impl_from_IAudioSessionNotification(iface);
    AudioSessionState state;

    notification->state_hr = ctl ? IAudioSessionControl_GetState(ctl, &state) : E_POINTER;
    SetEvent(notification->event);
    return S_OK;
}

static const IAudioSessionNotificationVtbl notification_vtbl =
{
    notification_QueryInterface,
    notification_AddRef,
    notification_Release,
    notification_OnSessionCreated,
};

/* Waits for the next callback: TRUE if one came within a second. */
static BOOL sink_wait(struct sink *sink, const char *what)
{
    return ok(WaitForSingleObject(sink->event, 1000) == WAIT_OBJECT_0, "no callback for %s within 1 s\n", what);
}

static AudioSessionState get_state(IAudioSessionControl *ctl)
{
    AudioSessionState state = -1;
    HRESULT hr = IAudioSessionControl_GetState(ctl, &state);

    ok(hr == S_OK, "GetState: got %08lx, expected S_OK\n", hr);
    return state;
}

static void test_states(void)
{
    static const GUID context = {0x1f2e3d4c, 0x5b6a, 0x4798, {0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xf0}};
    /* Static: a callback on its way may release it after this function returned (a busy machine). */
    static struct sink sink;
    IAudioSessionManager2 *manager;
    IAudioSessionEnumerator *sessions;
    IAudioSessionControl *ctl, *listed;
    IAudioSessionControl2 *ctl2;
    IChannelAudioVolume *cav;
    ISimpleAudioVolume *sav;
    IAudioClient *ac1, *ac2;
    AudioSessionState state;
    int count, i, found = 0;
    WCHAR *name;
    GUID guid;
    HRESULT hr;

    memset(&sink, 0, sizeof(sink));
    sink.IAudioSessionEvents_iface.lpVtbl = &sink_vtbl;
    sink.ref = 1;
    CoCreateGuid(&guid);
    sink.event = CreateEventW(NULL, FALSE, FALSE, NULL);
    InitializeCriticalSection(&sink.lock);

    hr = IMMDevice_Activate(dev, &IID_IAudioSessionManager2, CLSCTX_INPROC_SERVER, NULL, (void **)&manager);
    ok(hr == S_OK, "Activate(IAudioSessionManager2): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    hr = IAudioSessionManager2_GetAudioSessionControl(manager, &guid, 0, &ctl);
    ok(hr == S_OK, "GetAudioSessionControl: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    state = get_state(ctl);
    ok(state == AudioSessionStateInactive, "a session without streams: got state %d, expected Inactive\n", state);
    hr = IAudioSessionControl_GetState(ctl, NULL);
    ok(hr == NULL_PTR_ERR, "GetState(NULL): got %08lx, expected %08lx\n", hr, NULL_PTR_ERR);
    hr = IAudioSessionControl_RegisterAudioSessionNotification(ctl, &sink.IAudioSessionEvents_iface);
    ok(hr == S_OK, "RegisterAudioSessionNotification: got %08lx, expected S_OK\n", hr);

    ac1 = client_in_session(&guid);
    ac2 = client_in_session(&guid);
    if (!ac1 || !ac2) goto release;
    state = get_state(ctl);
    ok(state == AudioSessionStateInactive, "two stopped streams: got state %d, expected Inactive\n", state);

    hr = IAudioClient_Start(ac1);
    ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
    state = get_state(ctl);
    ok(state == AudioSessionStateActive, "a stream started: got state %d, expected Active\n", state);
    if (sink_wait(&sink, "Start"))
        ok(sink.state == AudioSessionStateActive, "OnStateChanged at Start: got %d, expected Active\n", sink.state);
    hr = IAudioClient_Start(ac2);
    ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
    hr = IAudioClient_Stop(ac1);
    ok(hr == S_OK, "Stop: got %08lx, expected S_OK\n", hr);
    state = get_state(ctl);
    ok(state == AudioSessionStateActive, "one of two stopped: got state %d, expected Active\n", state);
    hr = IAudioClient_Stop(ac2);
    ok(hr == S_OK, "Stop: got %08lx, expected S_OK\n", hr);
    state = get_state(ctl);
    ok(state == AudioSessionStateInactive, "both stopped: got state %d, expected Inactive\n", state);
    if (sink_wait(&sink, "the last Stop"))
        ok(sink.state == AudioSessionStateInactive, "OnStateChanged at the last Stop: got %d, expected Inactive\n",
           sink.state);

    /* Volume callbacks carry the caller's context. */
    hr = IAudioClient_GetService(ac1, &IID_ISimpleAudioVolume, (void **)&sav);
    ok(hr == S_OK, "GetService(ISimpleAudioVolume): got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        sink.reenter = sav;
        sink.reenter_hr = E_FAIL;
        hr = ISimpleAudioVolume_SetMasterVolume(sav, 0.25f, &context);
        ok(hr == S_OK, "SetMasterVolume: got %08lx, expected S_OK\n", hr);
        if (sink_wait(&sink, "SetMasterVolume"))
        {
            ok(sink.volume == 0.25f && !sink.mute && IsEqualGUID(&sink.context, &context),
               "OnSimpleVolumeChanged: got %g, mute %d, expected 0.25, 0 and the caller's context\n",
               sink.volume, sink.mute);
            ok(sink.reenter_hr == S_OK, "GetMasterVolume from inside the callback: got %08lx, expected S_OK\n",
               sink.reenter_hr);
        }
        sink.reenter = NULL;
        hr = ISimpleAudioVolume_SetMute(sav, TRUE, NULL);
        ok(hr == S_OK, "SetMute: got %08lx, expected S_OK\n", hr);
        if (sink_wait(&sink, "SetMute"))
            ok(sink.volume == 0.25f && sink.mute && IsEqualGUID(&sink.context, &no_context),
               "OnSimpleVolumeChanged: got %g, mute %d, expected 0.25, 1 and no context\n", sink.volume, sink.mute);
        ISimpleAudioVolume_SetMute(sav, FALSE, NULL);
        sink_wait(&sink, "SetMute(FALSE)");
        ISimpleAudioVolume_Release(sav);
    }
    hr = IAudioClient_GetService(ac2, &IID_IChannelAudioVolume, (void **)&cav);
    ok(hr == S_OK, "GetService(IChannelAudioVolume): got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        hr = IChannelAudioVolume_SetChannelVolume(cav, 1, 0.5f, &context);
        ok(hr == S_OK, "SetChannelVolume: got %08lx, expected S_OK\n", hr);
        if (sink_wait(&sink, "SetChannelVolume"))
            ok(sink.changed_channel == 1 && sink.channels[0] == 1.0f && sink.channels[1] == 0.5f
               && IsEqualGUID(&sink.context, &context),
               "OnChannelVolumeChanged: got channel %lu, volumes %g %g, expected 1, 1 0.5 and the context\n",
               sink.changed_channel, sink.channels[0], sink.channels[1]);
        IChannelAudioVolume_Release(cav);
    }
    hr = IAudioSessionControl_SetDisplayName(ctl, L"session test", &context);
    ok(hr == S_OK, "SetDisplayName: got %08lx, expected S_OK\n", hr);
    if (sink_wait(&sink, "SetDisplayName"))
        ok(!wcscmp(sink.name, L"session test"), "OnDisplayNameChanged: got %s\n", dbgstr_w(sink.name));
    hr = IAudioSessionControl_GetDisplayName(ctl, &name);
    ok(hr == S_OK && !wcscmp(name, L"session test"), "GetDisplayName: got %08lx %s\n", hr,
       hr == S_OK ? dbgstr_w(name) : "");
    if (hr == S_OK) CoTaskMemFree(name);

    /* "{endpoint id}|{program}%b{session GUID}", and the instance's the same with "|1%b{pid}" after. */
    if (IAudioSessionControl_QueryInterface(ctl, &IID_IAudioSessionControl2, (void **)&ctl2) == S_OK)
    {
        WCHAR *id = NULL, *instance = NULL, *device_id = NULL, guid_text[39], *p;
        DWORD pid = 0;

        IMMDevice_GetId(dev, &device_id);
        StringFromGUID2(&guid, guid_text, ARRAY_SIZE(guid_text));
        hr = IAudioSessionControl2_GetSessionIdentifier(ctl2, &id);
        ok(hr == S_OK && device_id && !wcsncmp(id, device_id, wcslen(device_id)) && (p = wcsstr(id, L"%b"))
           && !wcscmp(p + 2, guid_text), "GetSessionIdentifier: got %08lx %s\n", hr, dbgstr_w(id));
        hr = IAudioSessionControl2_GetSessionInstanceIdentifier(ctl2, &instance);
        ok(hr == S_OK && id && !wcsncmp(instance, id, wcslen(id)) && !wcsncmp(instance + wcslen(id), L"|1%b", 4)
           && wcstoul(instance + wcslen(id) + 4, NULL, 10) == GetCurrentProcessId(),
           "GetSessionInstanceIdentifier: got %08lx %s\n", hr, dbgstr_w(instance));
        hr = IAudioSessionControl2_GetProcessId(ctl2, &pid);
        ok(hr == S_OK && pid == GetCurrentProcessId(), "GetProcessId: got %08lx %lu\n", hr, pid);
        hr = IAudioSessionControl2_IsSystemSoundsSession(ctl2);
        ok(hr == S_FALSE, "IsSystemSoundsSession: got %08lx, expected S_FALSE\n", hr);
        hr = IAudioSessionControl2_SetDuckingPreferences(ctl2, TRUE);
        ok(hr == S_OK, "SetDuckingPreference: got %08lx, expected S_OK\n", hr);
        CoTaskMemFree(id);
        CoTaskMemFree(instance);
        CoTaskMemFree(device_id);
        IAudioSessionControl2_Release(ctl2);
    }

    /* The enumerator lists it. */
    hr = IAudioSessionManager2_GetSessionEnumerator(manager, &sessions);
    ok(hr == S_OK, "GetSessionEnumerator: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        hr = IAudioSessionEnumerator_GetCount(sessions, &count);
        ok(hr == S_OK && count >= 1, "GetCount: got %08lx, %d sessions\n", hr, count);
        for (i = 0; hr == S_OK && i < count; i++)
        {
            if (IAudioSessionEnumerator_GetSession(sessions, i, &listed) != S_OK) continue;
            if (IAudioSessionControl_GetDisplayName(listed, &name) == S_OK)
            {
                found += !wcscmp(name, L"session test");
                CoTaskMemFree(name);
            }
            IAudioSessionControl_Release(listed);
        }
        ok(found == 1, "the enumerator listed the session %d times, expected once\n", found);
        hr = IAudioSessionEnumerator_GetSession(sessions, count, &listed);
        ok(hr == E_INVALIDARG, "GetSession(%d) of %d: got %08lx, expected E_INVALIDARG\n", count, count, hr);
        IAudioSessionEnumerator_Release(sessions);
    }

    /* The last member gone, the session expires. */
    IAudioClient_Release(ac1);
    state = get_state(ctl);
    ok(state == AudioSessionStateInactive, "one stream left: got state %d, expected Inactive\n", state);
    IAudioClient_Release(ac2);
    ac1 = ac2 = NULL;
    state = get_state(ctl);
    ok(state == AudioSessionStateExpired, "no stream left: got state %d, expected Expired\n", state);
    if (sink_wait(&sink, "the last stream's release"))
        ok(sink.state == AudioSessionStateExpired, "OnStateChanged at the last release: got %d, expected Expired\n",
           sink.state);

release:
    if (ac1) IAudioClient_Release(ac1);
    if (ac2) IAudioClient_Release(ac2);
    hr = IAudioSessionControl_UnregisterAudioSessionNotification(ctl, &sink.IAudioSessionEvents_iface);
    ok(hr == S_OK, "UnregisterAudioSessionNotification: got %08lx, expected S_OK\n", hr);
    IAudioSessionControl_Release(ctl);
    /* Callbacks already on their way hold a reference each; then none is left. */
    if (!ok(test_wait_released(&sink.ref), "the sink's references after Unregister: got %ld, expected 1 (ours)\n",
            sink.ref))
        goto leave_sink;
done:
    IAudioSessionManager2_Release(manager);
    CloseHandle(sink.event);
    DeleteCriticalSection(&sink.lock);
    return;
leave_sink:
    /* A callback may still come: what it uses stays. */
    IAudioSessionManager2_Release(manager);
}

/* OnSessionCreated for a session made after the registration; duck notifications are kept. */
static void test_notifications(void)
{
    /* Static, as test_states' sink. */
    static struct notification notification;
    IAudioSessionManager2 *manager;
    IAudioClient *ac;
    GUID guid;
    HRESULT hr;

    memset(&notification, 0, sizeof(notification));
    notification.IAudioSessionNotification_iface.lpVtbl = &notification_vtbl;
    notification.ref = 1;

    hr = IMMDevice_Activate(dev, &IID_IAudioSessionManager2, CLSCTX_INPROC_SERVER, NULL, (void **)&manager);
    ok(hr == S_OK, "Activate(IAudioSessionManager2): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    notification.event = CreateEventW(NULL, FALSE, FALSE, NULL);
    hr = IAudioSessionManager2_RegisterSessionNotification(manager, NULL);
    ok(hr == E_POINTER, "RegisterSessionNotification(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioSessionManager2_RegisterSessionNotification(manager, &notification.IAudioSessionNotification_iface);
    ok(hr == S_OK, "RegisterSessionNotification: got %08lx, expected S_OK\n", hr);

    CoCreateGuid(&guid);
    if ((ac = client_in_session(&guid)))
    {
        if (ok(WaitForSingleObject(notification.event, 1000) == WAIT_OBJECT_0,
               "no OnSessionCreated within 1 s of a stream in a new session\n"))
            ok(notification.state_hr == S_OK, "GetState on the control OnSessionCreated gave: got %08lx\n",
               notification.state_hr);
        IAudioClient_Release(ac);
    }
    hr = IAudioSessionManager2_UnregisterSessionNotification(manager, &notification.IAudioSessionNotification_iface);
    ok(hr == S_OK, "UnregisterSessionNotification: got %08lx, expected S_OK\n", hr);

    /* Nothing ducks here, but a program registering must not fail. */
    hr = IAudioSessionManager2_RegisterDuckNotification(manager, NULL, (IAudioVolumeDuckNotification *)&notification);
    ok(hr == S_OK, "RegisterDuckNotification: got %08lx, expected S_OK\n", hr);
    hr = IAudioSessionManager2_UnregisterDuckNotification(manager, (IAudioVolumeDuckNotification *)&notification);
    ok(hr == S_OK, "UnregisterDuckNotification: got %08lx, expected S_OK\n", hr);

    IAudioSessionManager2_Release(manager);
    /* An OnSessionCreated on its way holds a reference, and sets the event. */
    if (ok(test_wait_released(&notification.ref), "the notification's references after Unregister: got %ld, "
           "expected 1 (ours)\n", notification.ref))
        CloseHandle(notification.event);
}

/* ---- (c) Argument checks ------------------------------------------------------------------------------- */

static void test_checks(void)
{
    IAudioSessionManager *manager;
    IChannelAudioVolume *cav;
    ISimpleAudioVolume *sav;
    float levels[2], level;
    IAudioClient *ac;
    UINT32 count;
    GUID guid;
    HRESULT hr;

    CoCreateGuid(&guid);
    hr = IMMDevice_Activate(dev, &IID_IAudioSessionManager, CLSCTX_INPROC_SERVER, NULL, (void **)&manager);
    ok(hr == S_OK, "Activate(IAudioSessionManager): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    hr = IAudioSessionManager_GetSimpleAudioVolume(manager, &guid, FALSE, &sav);
    ok(hr == S_OK, "GetSimpleAudioVolume: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        hr = ISimpleAudioVolume_SetMasterVolume(sav, -0.5f, NULL);
        ok(hr == E_INVALIDARG, "SetMasterVolume(-0.5): got %08lx, expected E_INVALIDARG\n", hr);
        hr = ISimpleAudioVolume_SetMasterVolume(sav, 1.5f, NULL);
        ok(hr == E_INVALIDARG, "SetMasterVolume(1.5): got %08lx, expected E_INVALIDARG\n", hr);
        hr = ISimpleAudioVolume_SetMasterVolume(sav, NAN, NULL);
        ok(hr == E_INVALIDARG, "SetMasterVolume(NaN): got %08lx, expected E_INVALIDARG\n", hr);
        hr = ISimpleAudioVolume_GetMasterVolume(sav, NULL);
        ok(hr == NULL_PTR_ERR, "GetMasterVolume(NULL): got %08lx, expected %08lx\n", hr, NULL_PTR_ERR);
        hr = ISimpleAudioVolume_GetMute(sav, NULL);
        ok(hr == NULL_PTR_ERR, "GetMute(NULL): got %08lx, expected %08lx\n", hr, NULL_PTR_ERR);
        /* Set before any stream: the stream that joins gets it. */
        hr = ISimpleAudioVolume_SetMasterVolume(sav, 0.75f, NULL);
        ok(hr == S_OK, "SetMasterVolume(0.75): got %08lx, expected S_OK\n", hr);
        ISimpleAudioVolume_Release(sav);
    }
    IAudioSessionManager_Release(manager);

    if (!(ac = client_in_session(&guid))) return;
    hr = IAudioClient_GetService(ac, &IID_ISimpleAudioVolume, (void **)&sav);
    ok(hr == S_OK, "GetService(ISimpleAudioVolume): got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        level = 0;
        hr = ISimpleAudioVolume_GetMasterVolume(sav, &level);
        ok(hr == S_OK && level == 0.75f, "GetMasterVolume of a session made before its stream: got %08lx %g, "
           "expected S_OK 0.75\n", hr, level);
        ISimpleAudioVolume_Release(sav);
    }
    hr = IAudioClient_GetService(ac, &IID_IChannelAudioVolume, (void **)&cav);
    ok(hr == S_OK, "GetService(IChannelAudioVolume): got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        hr = IChannelAudioVolume_GetChannelCount(cav, &count);
        ok(hr == S_OK && count == 2, "GetChannelCount: got %08lx %u, expected S_OK 2 (the stream's)\n", hr, count);
        hr = IChannelAudioVolume_SetChannelVolume(cav, 2, 0.5f, NULL);
        ok(hr == E_INVALIDARG, "SetChannelVolume(2 of 2): got %08lx, expected E_INVALIDARG\n", hr);
        hr = IChannelAudioVolume_SetChannelVolume(cav, 0, 1.01f, NULL);
        ok(hr == E_INVALIDARG, "SetChannelVolume(1.01): got %08lx, expected E_INVALIDARG\n", hr);
        hr = IChannelAudioVolume_GetChannelVolume(cav, 2, &level);
        ok(hr == E_INVALIDARG, "GetChannelVolume(2 of 2): got %08lx, expected E_INVALIDARG\n", hr);
        hr = IChannelAudioVolume_GetChannelVolume(cav, 0, NULL);
        ok(hr == NULL_PTR_ERR, "GetChannelVolume(NULL): got %08lx, expected %08lx\n", hr, NULL_PTR_ERR);
        levels[0] = 0.5f;
        levels[1] = -1.0f;
        hr = IChannelAudioVolume_SetAllVolumes(cav, 2, levels, NULL);
        ok(hr == E_INVALIDARG, "SetAllVolumes(0.5, -1): got %08lx, expected E_INVALIDARG\n", hr);
        levels[1] = 0.5f;
        hr = IChannelAudioVolume_SetAllVolumes(cav, 1, levels, NULL);
        ok(hr == E_INVALIDARG, "SetAllVolumes of 1 channel of 2: got %08lx, expected E_INVALIDARG\n", hr);
        hr = IChannelAudioVolume_GetAllVolumes(cav, 2, levels);
        ok(hr == S_OK && levels[0] == 1.0f && levels[1] == 1.0f,
           "GetAllVolumes after refused sets: got %08lx %g %g, expected S_OK 1 1\n", hr, levels[0], levels[1]);
        IChannelAudioVolume_Release(cav);
    }
    IAudioClient_Release(ac);
}

/* ---- (d) The gains at the backend ----------------------------------------------------------------------- */

/* Frames of a signal easy to find: multiples of 2^-10 below 0.5, never 0, so that a half and a
 * quarter are exact. Left positive, right negative. */
static float sample_at(UINT32 frame)
{
    return (float)(frame % 509 + 1) / 1024.0f;
}

static void test_gain(void)
{
    const UINT32 count = 48000 * 3 / 10, match = 16;
    WCHAR recording[MAX_PATH];
    IChannelAudioVolume *cav = NULL;
    ISimpleAudioVolume *sav = NULL;
    IAudioRenderClient *rc = NULL;
    UINT32 written = 0, frames, padding, buffer, i, n, at;
    UINT64 mark;
    float *rec, *buf;
    DWORD start;
    IAudioClient *ac;
    WAVEFORMATEX *wfx;
    GUID guid;
    HRESULT hr;
    BOOL found = FALSE, started = FALSE;

    if (env.backend != TEST_BACKEND_PULSE && env.backend != TEST_BACKEND_ALSA && env.backend != TEST_BACKEND_PIPEWIRE)
    {
        skip("nothing records what is played on this backend\n");
        return;
    }
    if (!ok(recording_find(&env, recording, ARRAY_SIZE(recording)), "where the harness records is not set\n"))
        return;
    CoCreateGuid(&guid);
    /* The whole signal fits in the buffer before Start: what the test checks is the gain, not how
     * the feeding keeps up on a loaded machine. */
    if (!(ac = client_with_buffer(&guid, 10000000))) return;
    hr = IAudioClient_GetMixFormat(ac, &wfx);
    ok(hr == S_OK, "GetMixFormat: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;
    found = wfx->nChannels == RECORDING_CHANNELS && wfx->nSamplesPerSec == RECORDING_RATE && wfx->wBitsPerSample == 32;
    CoTaskMemFree(wfx);
    if (!found)
    {
        skip("the mix format is not the recording's float32 48 kHz stereo\n");
        goto done;
    }
    found = FALSE;
    hr = IAudioClient_GetService(ac, &IID_ISimpleAudioVolume, (void **)&sav);
    ok(hr == S_OK, "GetService(ISimpleAudioVolume): got %08lx, expected S_OK\n", hr);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IChannelAudioVolume, (void **)&cav);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioRenderClient, (void **)&rc);
    if (hr == S_OK) hr = ISimpleAudioVolume_SetMasterVolume(sav, 0.5f, NULL);
    if (hr == S_OK) hr = IChannelAudioVolume_SetChannelVolume(cav, 1, 0.5f, NULL);
    if (hr == S_OK) hr = IAudioClient_GetBufferSize(ac, &buffer);
    ok(hr == S_OK, "setting up the stream: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    mark = recording_frames(recording);
    start = GetTickCount();
    while (GetTickCount() - start < 5000)
    {
        if (IAudioClient_GetCurrentPadding(ac, &padding) != S_OK) break;
        if (written == count && !padding) break;
        frames = min(buffer - padding, count - written);
        if (frames && IAudioRenderClient_GetBuffer(rc, frames, (BYTE **)&buf) == S_OK)
        {
            for (i = 0; i < frames; i++)
            {
                buf[2 * i] = sample_at(written + i);
                buf[2 * i + 1] = -sample_at(written + i);
            }
            IAudioRenderClient_ReleaseBuffer(rc, frames, 0);
            written += frames;
        }
        if (written && !started)
        {
            hr = IAudioClient_Start(ac);
            started = ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
        }
        Sleep(5);
    }
    Sleep(200);
    IAudioClient_Stop(ac);
    ok(written == count, "played %u of %u frames\n", written, count);

    /* alsa-lib's file plugin starts its file again when the device is opened: then from 0. */
    if (recording_frames(recording) < mark) mark = 0;
    rec = recording_read(recording, mark, 0x1000000, &n);
    for (at = 0; rec && at + count <= n && !found; at++)
    {
        for (i = 0; i < match; i++)
            if (rec[2 * (at + i)] != sample_at(i) * 0.5f) break;
        found = i == match;
    }
    if (ok(found, "the signal at half on the left not found in %u recorded frames\n", n))
    {
        at--;
        for (i = 0; i < count; i++)
            if (rec[2 * (at + i)] != sample_at(i) * 0.5f || rec[2 * (at + i) + 1] != -sample_at(i) * 0.25f) break;
        ok(i == count, "frame %u: got %.9g %.9g, expected %.9g %.9g (master 0.5, channels 1 and 0.5)\n", i,
           i < count ? rec[2 * (at + i)] : 0, i < count ? rec[2 * (at + i) + 1] : 0, sample_at(i) * 0.5f,
           -sample_at(i) * 0.25f);
    }
    free(rec);
done:
    if (rc) IAudioRenderClient_Release(rc);
    if (cav) IChannelAudioVolume_Release(cav);
    if (sav) ISimpleAudioVolume_Release(sav);
    IAudioClient_Release(ac);
}

/* ---- (e) Other processes' sessions ------------------------------------------------------------------- */

/* The session of process pid in a new enumeration of the endpoint's sessions, or NULL; *count: how
 * many the enumerator holds. */
static IAudioSessionControl2 *other_session(IAudioSessionManager2 *manager, DWORD pid, int *count)
{
    IAudioSessionControl2 *found = NULL, *control2;
    IAudioSessionEnumerator *sessions;
    IAudioSessionControl *control;
    DWORD session_pid;
    HRESULT hr;
    int i;

    *count = 0;
    hr = IAudioSessionManager2_GetSessionEnumerator(manager, &sessions);
    ok(hr == S_OK, "GetSessionEnumerator: got %08lx\n", hr);
    if (FAILED(hr)) return NULL;
    hr = IAudioSessionEnumerator_GetCount(sessions, count);
    ok(hr == S_OK, "GetCount: got %08lx\n", hr);
    for (i = 0; i < *count && !found; i++)
    {
        hr = IAudioSessionEnumerator_GetSession(sessions, i, &control);
        ok(hr == S_OK, "GetSession(%d): got %08lx\n", i, hr);
        if (FAILED(hr)) continue;
        hr = IAudioSessionControl_QueryInterface(control, &IID_IAudioSessionControl2, (void **)&control2);
        ok(hr == S_OK, "QueryInterface(IAudioSessionControl2): got %08lx\n", hr);
        IAudioSessionControl_Release(control);
        if (FAILED(hr)) continue;
        if (IAudioSessionControl2_GetProcessId(control2, &session_pid) == S_OK && session_pid == pid) found = control2;
        else IAudioSessionControl2_Release(control2);
    }
    IAudioSessionEnumerator_Release(sessions);
    return found;
}

/* Another process's session once it is listed and Active (the server lists a stream once it is
 * linked, and on PipeWire its node runs a cycle or more later), or as it is after timeout_ms. */
static IAudioSessionControl2 *active_session(IAudioSessionManager2 *manager, DWORD pid, DWORD timeout_ms, int *count)
{
    IAudioSessionControl2 *control = NULL;
    AudioSessionState state;
    DWORD start;

    for (start = GetTickCount(); GetTickCount() - start < timeout_ms; Sleep(50))
    {
        if (control) IAudioSessionControl2_Release(control);
        if ((control = other_session(manager, pid, count))
            && (IAudioSessionControl2_GetState(control, &state) != S_OK || state == AudioSessionStateActive))
            break;
    }
    return control;
}

/* Another process's session: listed under name, and Active. */
static void check_other_session(IAudioSessionControl2 *control, const WCHAR *expected, const char *what)
{
    AudioSessionState state;
    WCHAR *name;
    HRESULT hr;

    hr = IAudioSessionControl2_GetDisplayName(control, &name);
    ok(hr == S_OK && !wcscmp(name, expected), "%s: got %08lx, %ls\n", what, hr, hr == S_OK ? name : L"");
    if (hr == S_OK) CoTaskMemFree(name);
    hr = IAudioSessionControl2_GetState(control, &state);
    ok(hr == S_OK && state == AudioSessionStateActive, "%s: got %08lx, state %u\n", what, hr, state);
}

/* The child of --play: a program of ours in its own process, whose session is named. */
static void play_in_session(DWORD milliseconds)
{
    IAudioSessionControl *control = NULL;
    IAudioClient *ac = client_in_session(NULL);
    HRESULT hr;

    if (!ac) return;
    hr = IAudioClient_GetService(ac, &IID_IAudioSessionControl, (void **)&control);
    if (SUCCEEDED(hr)) hr = IAudioSessionControl_SetDisplayName(control, L"mmdevtest-child", &no_context);
    if (SUCCEEDED(hr)) hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "the child's stream: got %08lx\n", hr);
    if (SUCCEEDED(hr)) Sleep(milliseconds);
    if (control) IAudioSessionControl_Release(control);
    IAudioClient_Release(ac);
}

/* Another Wine program playing through this module: its session has its Windows process id and
 * the name it gave its session. */
static void test_other_wine_process(IAudioSessionManager2 *manager)
{
    STARTUPINFOW startup = { sizeof(startup) };
    IAudioSessionControl2 *control = NULL;
    PROCESS_INFORMATION child;
    WCHAR exe[MAX_PATH], command[MAX_PATH + 16];
    int count;

    GetModuleFileNameW(NULL, exe, ARRAY_SIZE(exe));
    swprintf(command, ARRAY_SIZE(command), L"\"%s\" --play", exe);
    if (!ok(CreateProcessW(exe, command, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &child), "CreateProcess: %lu\n",
            GetLastError()))
        return;
    control = active_session(manager, child.dwProcessId, 5000, &count);
    ok(control != NULL, "no session of the child, process %lu\n", child.dwProcessId);
    if (control)
    {
        check_other_session(control, L"mmdevtest-child", "the child's session");
        IAudioSessionControl2_Release(control);
    }
    ok(WaitForSingleObject(child.hProcess, 10000) == WAIT_OBJECT_0, "the child did not end\n");
    CloseHandle(child.hProcess);
    CloseHandle(child.hThread);
    control = other_session(manager, child.dwProcessId, &count);
    ok(!control, "the child's session is still listed after it ended\n");
    if (control) IAudioSessionControl2_Release(control);
}

/* A parec recording the default source: a session of the capture endpoint. */
static void test_other_recorder(IMMDeviceEnumerator *mme)
{
    IAudioSessionManager2 *manager = NULL;
    IAudioSessionControl2 *control = NULL;
    IMMDevice *source;
    DWORD pid = 0;
    char out[64];
    int count;
    HRESULT hr;

    hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eCapture, eConsole, &source);
    ok(hr == S_OK, "GetDefaultAudioEndpoint(capture): got %08lx\n", hr);
    if (FAILED(hr)) return;
    hr = IMMDevice_Activate(source, &IID_IAudioSessionManager2, CLSCTX_INPROC_SERVER, NULL, (void **)&manager);
    ok(hr == S_OK, "Activate(IAudioSessionManager2) of the capture endpoint: got %08lx\n", hr);
    if (FAILED(hr)) goto done;
    if (!run_unix("parec --raw --property=application.name=mmdevtest-recorder >/dev/null 2>&1 & echo $!", out,
                  sizeof(out)) || sscanf(out, "%lu", &pid) != 1)
    {
        skip("parec cannot run: %s\n", out);
        goto done;
    }
    control = active_session(manager, pid, 3000, &count);
    ok(control != NULL, "no session of process %lu (parec) on the capture endpoint\n", pid);
    if (!control) goto done;
    check_other_session(control, L"mmdevtest-recorder", "the recorder's session");
    IAudioSessionControl2_Release(control);

done:
    if (pid)
    {
        snprintf(out, sizeof(out), "kill %lu", pid);
        run_unix(out, NULL, 0);
    }
    if (manager) IAudioSessionManager2_Release(manager);
    IMMDevice_Release(source);
}

static void test_other_processes(void)
{
    IAudioSessionManager2 *manager = NULL;
    IAudioSessionControl2 *control = NULL, *other;
    ISimpleAudioVolume *volume = NULL;
    AudioSessionState state;
    WCHAR *text, suffix[32];
    char out[64];
    DWORD pid = 0, start;
    int count, count_before;
    float level;
    BOOL mute;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioSessionManager2, CLSCTX_INPROC_SERVER, NULL, (void **)&manager);
    ok(hr == S_OK, "Activate(IAudioSessionManager2): got %08lx\n", hr);
    if (FAILED(hr)) return;
    if ((control = other_session(manager, ~0u, &count_before))) IAudioSessionControl2_Release(control);
    control = NULL;

    /* Another program, playing on the default sink, which the user turned down to 50 %. */
    if (!run_unix("pacat --playback --raw --format=s16le --rate=48000 --channels=2 "
                  "--property=application.name=mmdevtest-other </dev/zero >/dev/null 2>&1 & echo $!", out, sizeof(out))
        || sscanf(out, "%lu", &pid) != 1)
    {
        skip("pacat cannot run: %s\n", out);
        goto done;
    }
    control = active_session(manager, pid, 3000, &count);
    ok(control != NULL, "no session of process %lu (pacat) among the %d\n", pid, count);
    if (!control) goto done;
    ok(run_unix("pactl set-sink-input-volume $(pactl list sink-inputs | awk '/^Sink Input #/ { input = substr($3, 2) } "
                "/application.name = \\\"mmdevtest-other\\\"/ { print input }') 50%", out, sizeof(out)) && !out[0],
       "pactl set-sink-input-volume: %s\n", out);
    IAudioSessionControl2_Release(control);
    control = other_session(manager, pid, &count);
    ok(count == count_before + 1, "%d sessions with pacat's, %d before\n", count, count_before);
    hr = IAudioSessionControl2_GetDisplayName(control, &text);
    ok(hr == S_OK && !wcscmp(text, L"mmdevtest-other"), "GetDisplayName: got %08lx, %ls\n", hr,
       hr == S_OK ? text : L"");
    if (hr == S_OK) CoTaskMemFree(text);
    hr = IAudioSessionControl2_GetState(control, &state);
    ok(hr == S_OK && state == AudioSessionStateActive, "GetState: got %08lx, state %u\n", hr, state);
    hr = IAudioSessionControl2_IsSystemSoundsSession(control);
    ok(hr == S_FALSE, "IsSystemSoundsSession: got %08lx\n", hr);
    hr = IAudioSessionControl2_GetSessionInstanceIdentifier(control, &text);
    ok(hr == S_OK, "GetSessionInstanceIdentifier: got %08lx\n", hr);
    if (hr == S_OK)
    {
        swprintf(suffix, ARRAY_SIZE(suffix), L"|1%%b%lu", pid);
        ok(wcslen(text) > wcslen(suffix) && !wcscmp(text + wcslen(text) - wcslen(suffix), suffix),
           "GetSessionInstanceIdentifier: %ls\n", text);
        CoTaskMemFree(text);
    }
    hr = IAudioSessionControl2_QueryInterface(control, &IID_ISimpleAudioVolume, (void **)&volume);
    ok(hr == S_OK, "QueryInterface(ISimpleAudioVolume): got %08lx\n", hr);
    if (volume)
    {
        /* pacat's 50 % is PulseAudio's cubic scale: an amplitude of 0.125. */
        hr = ISimpleAudioVolume_GetMasterVolume(volume, &level);
        ok(hr == S_OK && fabsf(level - 0.125f) < 0.001f, "GetMasterVolume: got %08lx, %f\n", hr, level);
        hr = ISimpleAudioVolume_GetMute(volume, &mute);
        ok(hr == S_OK && !mute, "GetMute: got %08lx, %d\n", hr, mute);

        /* Set as a volume mixer does: the server has it, as a new enumeration reads. */
        hr = ISimpleAudioVolume_SetMasterVolume(volume, 0.5f, &no_context);
        ok(hr == S_OK, "SetMasterVolume: got %08lx\n", hr);
        hr = ISimpleAudioVolume_SetMute(volume, TRUE, &no_context);
        ok(hr == S_OK, "SetMute: got %08lx\n", hr);
        hr = ISimpleAudioVolume_SetMasterVolume(volume, 1.5f, &no_context);
        ok(hr == E_INVALIDARG, "SetMasterVolume(1.5): got %08lx\n", hr);
        ISimpleAudioVolume_Release(volume);
        volume = NULL;
        IAudioSessionControl2_Release(control);
        if ((control = other_session(manager, pid, &count)))
            IAudioSessionControl2_QueryInterface(control, &IID_ISimpleAudioVolume, (void **)&volume);
        ok(volume != NULL, "pacat's session is gone after its volume was set\n");
        if (!volume) goto done;
        hr = ISimpleAudioVolume_GetMasterVolume(volume, &level);
        ok(hr == S_OK && fabsf(level - 0.5f) < 0.001f, "GetMasterVolume after setting 0.5: got %08lx, %f\n", hr, level);
        hr = ISimpleAudioVolume_GetMute(volume, &mute);
        ok(hr == S_OK && mute, "GetMute after setting it: got %08lx, %d\n", hr, mute);
    }
    /* Its name is the program's own. */
    hr = IAudioSessionControl2_SetDisplayName(control, L"renamed", &no_context);
    ok(hr == E_NOTIMPL, "SetDisplayName on another process's session: got %08lx\n", hr);

    test_other_wine_process(manager);

    /* Gone: the enumerator no longer has it, and its control says it expired. */
    snprintf(out, sizeof(out), "kill %lu", pid);
    ok(run_unix(out, NULL, 0), "%s failed\n", out);
    pid = 0;
    for (start = GetTickCount(); GetTickCount() - start < 3000; Sleep(50))
    {
        if ((other = other_session(manager, ~0u, &count))) IAudioSessionControl2_Release(other);
        if (count == count_before) break;
    }
    ok(count == count_before, "%d sessions after pacat ended, %d before it\n", count, count_before);
    hr = IAudioSessionControl2_GetState(control, &state);
    ok(hr == S_OK && state == AudioSessionStateExpired, "GetState after pacat ended: got %08lx, state %u\n", hr, state);

done:
    if (pid)
    {
        snprintf(out, sizeof(out), "kill %lu", pid);
        run_unix(out, NULL, 0);
    }
    if (volume) ISimpleAudioVolume_Release(volume);
    if (control) IAudioSessionControl2_Release(control);
    IAudioSessionManager2_Release(manager);
}

int main(int argc, char **argv)
{
    IMMDeviceEnumerator *mme = NULL;
    HRESULT hr;

    test_read_env(&env);
    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    ok(hr == S_OK, "CoInitializeEx(MTA): got %08lx\n", hr);
    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&mme);
    ok(hr == S_OK, "CoCreateInstance(MMDeviceEnumerator): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;
    hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, &dev);
    if (hr == E_NOTFOUND && (env.backend == TEST_BACKEND_NONE || env.backend == TEST_BACKEND_UNSET))
    {
        skip("no render endpoint: no session to test\n");
        goto done;
    }
    ok(hr == S_OK, "GetDefaultAudioEndpoint(render): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    if (argc > 1 && !strcmp(argv[1], "--play"))
    {
        play_in_session(1500);
        IMMDevice_Release(dev);
        goto done;
    }
    test_references();
    test_states();
    test_notifications();
    test_checks();
    test_gain();
    if (env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_PIPEWIRE)
    {
        test_other_processes();
        test_other_recorder(mme);
    }
    IMMDevice_Release(dev);
done:
    if (mme) IMMDeviceEnumerator_Release(mme);
    CoUninitialize();
    return test_summary();
}
