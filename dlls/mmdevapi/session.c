/* Audio sessions: the group of streams the system manages as one unit. IAudioSessionControl(2),
 * ISimpleAudioVolume and IChannelAudioVolume from a stream's GetService or from the session
 * manager; IAudioSessionManager(2) and IAudioSessionEnumerator from IMMDevice::Activate; and the
 * IAudioSessionEvents and IAudioSessionNotification callbacks, delivered on a thread of ours.
 *
 * A session is named by its endpoint and a GUID (GUID_NULL: the process's default session). As
 * on Windows, it outlives the objects that name it: a volume set through the session manager
 * before any stream exists is the volume of the streams that join later (Wine's tests check it),
 * so sessions stay for the life of the process; a process has few. The engine knows a session only
 * as gains in each member stream's shared memory: master volume x mute, and a volume per channel. */
#include <stdio.h>
#include "private.h"
#include <winternl.h>
#include <audiopolicy.h>

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

/* What a session's interfaces answer for a NULL pointer: on Windows they are proxies of the audio
 * service, and RPC refuses the call before it leaves (Wine's tests check it). */
#define NULL_PTR_ERR HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER)

struct audio_session
{
    struct audio_session *next;         /* sessions */
    struct mmdevice *device;
    GUID guid;
    struct audio_client *members;       /* linked by session_next */
    UINT32 member_count;
    UINT32 started_count;               /* members started */
    BOOL had_members;                   /* Expired once the last member is gone */
    AudioSessionState state;            /* as last reported to the callbacks */

    float master;
    BOOL mute;
    UINT32 channel_count;               /* the first member's; 0 before one joined */
    float channels[MMDEVAPI_MAX_CHANNELS];
    WCHAR *display_name;
    WCHAR *icon_path;
    GUID grouping;
    BOOL ducking_opt_out;               /* SetDuckingPreference: kept, as nothing ducks here */

    IAudioSessionEvents **sinks;
    UINT32 sink_count;

    /* Another process's session, as the backend last showed it (GetSessionEnumerator): no
     * members; its process, name, volume and state are the backend's. */
    BOOL foreign;
    UINT32 unix_process_id;
    DWORD process_id;                   /* a Wine program's own, else the Unix one */
    AudioSessionState foreign_state;
};

/* What GetService and the session manager hand out: one object for the three interfaces of a
 * session. The one a stream made is kept on it, so that GetService answers the same pointer each
 * time, and holds the stream (Windows' counts: the stream outlives its last IAudioClient
 * reference while a service of it is held). */
struct session_wrapper
{
    IAudioSessionControl2 IAudioSessionControl2_iface;
    ISimpleAudioVolume ISimpleAudioVolume_iface;
    IChannelAudioVolume IChannelAudioVolume_iface;
    struct meter_part meter;            /* IAudioMeterInformation: the session's peaks */
    LONG ref;
    struct audio_session *session;
    struct audio_client *client;        /* NULL from the session manager */
};

/* A session manager's registration of IAudioSessionNotification or IAudioVolumeDuckNotification. */
struct registration
{
    struct registration *next;
    struct mmdevice *device;
    IUnknown *sink;
};

enum session_event_kind
{
    EVENT_DISPLAY_NAME,
    EVENT_ICON_PATH,
    EVENT_SIMPLE_VOLUME,
    EVENT_CHANNEL_VOLUME,
    EVENT_GROUPING,
    EVENT_STATE,
    EVENT_DISCONNECTED,
    EVENT_CREATED,
    EVENT_CALL,         /* callbacks_post(): another family's callback */
};

/* One callback to make, with a reference on each sink to call, taken when it happened. */
struct session_event
{
    struct session_event *next;
    enum session_event_kind kind;
    IUnknown **sinks;
    UINT32 sink_count;
    BOOL has_context;
    GUID context;
    WCHAR *text;
    float volume;
    BOOL mute;
    UINT32 channel_count;
    float channels[MMDEVAPI_MAX_CHANNELS];
    DWORD changed_channel;
    GUID grouping;
    AudioSessionState state;
    AudioSessionDisconnectReason reason;
    struct audio_session *session;
    void (*call)(void *arg);
    void *arg;
};

/* Everything above: sessions, their members and fields, registrations, the event queue. Taken by
 * no hot path; the stream's own lock, when held, is taken before it. Never held while calling the
 * program. */
static SRWLOCK sessions_lock = SRWLOCK_INIT;
static struct audio_session *sessions;
static struct registration *session_notifications, *duck_notifications;
static struct session_event *events_head, *events_tail;
static CONDITION_VARIABLE events_ready = CONDITION_VARIABLE_INIT;
static BOOL events_thread_started;

static WCHAR *string_copy(const WCHAR *text)
{
    size_t size = (wcslen(text) + 1) * sizeof(WCHAR);
    WCHAR *copy = malloc(size);

    if (copy) memcpy(copy, text, size);
    return copy;
}

/* The thread that calls the program back, in the order things happened. */
static void deliver(struct session_event *event)
{
    const GUID *context = event->has_context ? &event->context : NULL;
    IAudioSessionEvents *sink;
    UINT32 i;

    for (i = 0; i < event->sink_count; i++)
    {
        sink = (IAudioSessionEvents *)event->sinks[i];
        switch (event->kind)
        {
        case EVENT_DISPLAY_NAME:
            IAudioSessionEvents_OnDisplayNameChanged(sink, event->text, context);
            break;
        case EVENT_ICON_PATH:
            IAudioSessionEvents_OnIconPathChanged(sink, event->text, context);
            break;
        case EVENT_SIMPLE_VOLUME:
            IAudioSessionEvents_OnSimpleVolumeChanged(sink, event->volume, event->mute, context);
            break;
        case EVENT_CHANNEL_VOLUME:
            IAudioSessionEvents_OnChannelVolumeChanged(sink, event->channel_count, event->channels,
                                                       event->changed_channel, context);
            break;
        case EVENT_GROUPING:
            IAudioSessionEvents_OnGroupingParamChanged(sink, &event->grouping, context);
            break;
        case EVENT_STATE:
            IAudioSessionEvents_OnStateChanged(sink, event->state);
            break;
        case EVENT_DISCONNECTED:
            IAudioSessionEvents_OnSessionDisconnected(sink, event->reason);
            break;
        case EVENT_CREATED:     /* deliver_created() */
        case EVENT_CALL:        /* events_thread() */
            break;
        }
    }
}

static HRESULT wrapper_create(struct audio_session *session, struct audio_client *client,
                              struct session_wrapper **out);

static void deliver_created(struct session_event *event)
{
    struct session_wrapper *wrapper;
    UINT32 i;

    /* One new control for the callbacks; a sink that keeps it takes a reference. */
    if (FAILED(wrapper_create(event->session, NULL, &wrapper))) return;
    for (i = 0; i < event->sink_count; i++)
        IAudioSessionNotification_OnSessionCreated((IAudioSessionNotification *)event->sinks[i],
                                                   (IAudioSessionControl *)&wrapper->IAudioSessionControl2_iface);
    IAudioSessionControl2_Release(&wrapper->IAudioSessionControl2_iface);
}

static void event_free(struct session_event *event)
{
    UINT32 i;

    for (i = 0; i < event->sink_count; i++) IUnknown_Release(event->sinks[i]);
    free(event->sinks);
    free(event->text);
    free(event);
}

static DWORD WINAPI events_thread(void *arg)
{
    struct session_event *event;

    /* Windows calls sinks from a thread of the multithreaded apartment; sinks may use COM. */
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    SetThreadDescription(GetCurrentThread(), L"mmdevapi session events");
    for (;;)
    {
        AcquireSRWLockExclusive(&sessions_lock);
        while (!events_head) SleepConditionVariableSRW(&events_ready, &sessions_lock, INFINITE, 0);
        event = events_head;
        if (!(events_head = event->next)) events_tail = NULL;
        ReleaseSRWLockExclusive(&sessions_lock);

        if (event->kind == EVENT_CREATED) deliver_created(event);
        else if (event->kind == EVENT_CALL) event->call(event->arg);
        else deliver(event);
        event_free(event);
    }
    return 0;
}

/* With the lock held, when a sink is registered: the thread that calls sinks, made once. It runs
 * our code for the rest of the process, so the module stays loaded. */
static void start_events_thread(void)
{
    HMODULE module;
    HANDLE thread;

    if (events_thread_started) return;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                            (const WCHAR *)events_thread, &module))
        return;
    if (!(thread = CreateThread(NULL, 0, events_thread, NULL, 0, NULL)))
    {
        ERR("no thread for session events: %lu\n", GetLastError());
        return;
    }
    CloseHandle(thread);
    events_thread_started = TRUE;
}

/* With the lock held: the event goes to the thread that calls sinks, after those before it. */
static void append_event(struct session_event *event)
{
    if (events_tail) events_tail->next = event;
    else events_head = event;
    events_tail = event;
    WakeConditionVariable(&events_ready);
}

/* With the lock held: queues a callback to each of sinks (event filled but for its sinks), or drops
 * it when there is none. */
static void queue_event(struct session_event *event, IUnknown **sinks, UINT32 sink_count)
{
    UINT32 i;

    if (!sink_count || !events_thread_started
        || !(event->sinks = malloc(sink_count * sizeof(*event->sinks))))
    {
        event->sink_count = 0;
        event_free(event);
        return;
    }
    for (i = 0; i < sink_count; i++)
    {
        event->sinks[i] = sinks[i];
        IUnknown_AddRef(sinks[i]);
    }
    event->sink_count = sink_count;
    append_event(event);
}

static struct session_event *event_new(enum session_event_kind kind, const GUID *context)
{
    struct session_event *event = calloc(1, sizeof(*event));

    if (!event) return NULL;
    event->kind = kind;
    if ((event->has_context = !!context)) event->context = *context;
    return event;
}

/* Runs call(arg) on the thread that calls sinks, in turn with the sessions' callbacks: for the
 * other families' callbacks (IAudioEndpointVolumeCallback), which must not run under their
 * callers' locks either. FALSE when it cannot: the caller keeps arg. */
BOOL callbacks_post(void (*call)(void *arg), void *arg)
{
    struct session_event *event = NULL;

    AcquireSRWLockExclusive(&sessions_lock);
    start_events_thread();
    if (events_thread_started && (event = event_new(EVENT_CALL, NULL)))
    {
        event->call = call;
        event->arg = arg;
        append_event(event);
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    return event != NULL;
}

/* With the lock held: a session event for the session's own sinks. */
static void queue_session_event(struct audio_session *session, struct session_event *event)
{
    if (event) queue_event(event, (IUnknown **)session->sinks, session->sink_count);
}

void sessions_disconnect(struct mmdevice *device, AudioSessionDisconnectReason reason)
{
    struct audio_session *session;
    struct session_event *event;

    AcquireSRWLockExclusive(&sessions_lock);
    for (session = sessions; session; session = session->next)
        if (session->device == device && (event = event_new(EVENT_DISCONNECTED, NULL)))
        {
            event->reason = reason;
            queue_session_event(session, event);
        }
    ReleaseSRWLockExclusive(&sessions_lock);
}

static AudioSessionState session_state(const struct audio_session *session)
{
    if (session->foreign) return session->foreign_state;
    if (session->started_count) return AudioSessionStateActive;
    if (!session->member_count && session->had_members) return AudioSessionStateExpired;
    return AudioSessionStateInactive;
}

/* With the lock held, after members joined, left, started or stopped. */
static void state_changed(struct audio_session *session)
{
    AudioSessionState state = session_state(session);
    struct session_event *event;

    if (state == session->state) return;
    session->state = state;
    if (!session->sink_count || !(event = event_new(EVENT_STATE, NULL))) return;
    event->state = state;
    queue_session_event(session, event);
}

/* With the lock held: the session's gains into one member's shared memory. */
static void apply_gains(struct audio_session *session, struct audio_client *client)
{
    struct stream_shared *shared = client->shared;
    UINT32 i;

    for (i = 0; i < client->pcm.channels; i++)
        shared->session_channels[i] = i < session->channel_count ? session->channels[i] : 1.0f;
    shared->session_volume = session->mute ? 0.0f : session->master;
}

static void apply_gains_all(struct audio_session *session)
{
    struct audio_client *client;

    for (client = session->members; client; client = client->session_next) apply_gains(session, client);
}

static const GUID default_session;    /* GUID_NULL (libuuid's would clash with main.c's GUIDs) */

/* With the lock held: a new session of an endpoint, told to the session notifications. */
static struct audio_session *session_new(struct mmdevice *device, const GUID *guid)
{
    struct audio_session *session;
    struct registration *reg;
    struct session_event *event;
    IUnknown *sinks[64];
    UINT32 count = 0;

    if (!(session = calloc(1, sizeof(*session)))) return NULL;
    if (!(session->display_name = string_copy(L"")) || !(session->icon_path = string_copy(L"")))
    {
        free(session->display_name);
        free(session);
        return NULL;
    }
    session->device = device;
    session->guid = *guid;
    session->master = 1.0f;
    session->state = AudioSessionStateInactive;
    session->next = sessions;
    sessions = session;
    TRACE("new session %p, endpoint %s, %s\n", session, debugstr_w(device->id), debugstr_guid(guid));

    for (reg = session_notifications; reg && count < ARRAY_SIZE(sinks); reg = reg->next)
        if (reg->device == device) sinks[count++] = reg->sink;
    if (count && (event = event_new(EVENT_CREATED, NULL)))
    {
        event->session = session;
        queue_event(event, sinks, count);
    }
    return session;
}

/* With the lock held: this process's session of an endpoint by its GUID, made when there is none
 * yet. */
static struct audio_session *session_get(struct mmdevice *device, const GUID *guid)
{
    struct audio_session *session;

    if (!guid) guid = &default_session;
    for (session = sessions; session; session = session->next)
        if (session->device == device && !session->foreign && IsEqualGUID(&session->guid, guid)) return session;
    return session_new(device, guid);
}

HRESULT session_join(struct audio_client *client, const GUID *guid)
{
    struct audio_session *session;
    UINT32 i;

    AcquireSRWLockExclusive(&sessions_lock);
    if ((session = session_get(client->device, guid)))
    {
        client->session = session;
        client->session_next = session->members;
        session->members = client;
        session->member_count++;
        session->had_members = TRUE;
        if (!session->channel_count)
        {
            session->channel_count = client->pcm.channels;
            for (i = 0; i < session->channel_count; i++) session->channels[i] = 1.0f;
        }
        apply_gains(session, client);
        state_changed(session);
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    return session ? S_OK : E_OUTOFMEMORY;
}

void session_leave(struct audio_client *client)
{
    struct audio_session *session = client->session;
    struct audio_client **link;

    if (!session) return;
    AcquireSRWLockExclusive(&sessions_lock);
    for (link = &session->members; *link; link = &(*link)->session_next)
    {
        if (*link != client) continue;
        *link = client->session_next;
        session->member_count--;
        if (client->started) session->started_count--;
        break;
    }
    client->session = NULL;
    state_changed(session);
    ReleaseSRWLockExclusive(&sessions_lock);
}

void session_stream_started(struct audio_client *client, BOOL started)
{
    struct audio_session *session = client->session;

    if (!session) return;
    AcquireSRWLockExclusive(&sessions_lock);
    if (started) session->started_count++;
    else session->started_count--;
    state_changed(session);
    ReleaseSRWLockExclusive(&sessions_lock);
}

static inline struct session_wrapper *impl_from_IAudioSessionControl2(IAudioSessionControl2 *iface)
{
    return CONTAINING_RECORD(iface, struct session_wrapper, IAudioSessionControl2_iface);
}

static inline struct session_wrapper *impl_from_ISimpleAudioVolume(ISimpleAudioVolume *iface)
{
    return CONTAINING_RECORD(iface, struct session_wrapper, ISimpleAudioVolume_iface);
}

static inline struct session_wrapper *impl_from_IChannelAudioVolume(IChannelAudioVolume *iface)
{
    return CONTAINING_RECORD(iface, struct session_wrapper, IChannelAudioVolume_iface);
}

static HRESULT wrapper_query(struct session_wrapper *wrapper, REFIID riid, void **out)
{
    if (!out) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IAudioSessionControl)
        || IsEqualIID(riid, &IID_IAudioSessionControl2))
        *out = &wrapper->IAudioSessionControl2_iface;
    else if (IsEqualIID(riid, &IID_ISimpleAudioVolume))
        *out = &wrapper->ISimpleAudioVolume_iface;
    else if (IsEqualIID(riid, &IID_IChannelAudioVolume))
        *out = &wrapper->IChannelAudioVolume_iface;
    else if (IsEqualIID(riid, &IID_IAudioMeterInformation))
        *out = &wrapper->meter.IAudioMeterInformation_iface;
    else
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    InterlockedIncrement(&wrapper->ref);
    return S_OK;
}

static ULONG wrapper_addref(struct session_wrapper *wrapper)
{
    ULONG ref = InterlockedIncrement(&wrapper->ref);

    TRACE("(%p) ref %lu\n", wrapper, ref);
    return ref;
}

static ULONG wrapper_release(struct session_wrapper *wrapper)
{
    ULONG ref = InterlockedDecrement(&wrapper->ref);
    struct audio_client *client = wrapper->client;

    TRACE("(%p) ref %lu\n", wrapper, ref);
    if (ref) return ref;
    if (client)
    {
        AcquireSRWLockExclusive(&sessions_lock);
        if (client->session_wrapper == wrapper) client->session_wrapper = NULL;
        ReleaseSRWLockExclusive(&sessions_lock);
        audio_client_release(client);
    }
    free(wrapper);
    return 0;
}

static inline struct session_wrapper *impl_from_meter_part(struct meter_part *part)
{
    return CONTAINING_RECORD(part, struct session_wrapper, meter);
}

static HRESULT meter_query(struct meter_part *part, REFIID riid, void **out)
{
    return wrapper_query(impl_from_meter_part(part), riid, out);
}

static ULONG meter_addref(struct meter_part *part)
{
    return wrapper_addref(impl_from_meter_part(part));
}

static ULONG meter_release(struct meter_part *part)
{
    return wrapper_release(impl_from_meter_part(part));
}

/* The loudest of the session's started streams, channel by channel, in the last period each was
 * mixed, with their volumes: the engine writes them into each stream's shared memory. */
static void meter_read(struct meter_part *part, float peaks[MMDEVAPI_MAX_CHANNELS], UINT32 *channels)
{
    struct audio_session *session = impl_from_meter_part(part)->session;
    struct audio_client *member;
    UINT32 i, bits;
    float peak;

    memset(peaks, 0, MMDEVAPI_MAX_CHANNELS * sizeof(*peaks));
    AcquireSRWLockShared(&sessions_lock);
    *channels = session->channel_count ? session->channel_count : session->device->format.channels;
    for (member = session->members; member; member = member->session_next)
    {
        if (!member->started || !member->shared) continue;
        for (i = 0; i < *channels && i < member->pcm.channels; i++)
        {
            bits = __atomic_load_n(&member->shared->peak_bits[i], __ATOMIC_RELAXED);
            memcpy(&peak, &bits, sizeof(peak));
            if (peak > peaks[i]) peaks[i] = peak;
        }
    }
    ReleaseSRWLockShared(&sessions_lock);
}

static const struct meter_part_ops meter_ops =
{
    meter_query,
    meter_addref,
    meter_release,
    meter_read,
};

static HRESULT WINAPI control_QueryInterface(IAudioSessionControl2 *iface, REFIID riid, void **out)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%s, %p)\n", wrapper, debugstr_guid(riid), out);
    return wrapper_query(wrapper, riid, out);
}

static ULONG WINAPI control_AddRef(IAudioSessionControl2 *iface)
{
    return wrapper_addref(impl_from_IAudioSessionControl2(iface));
}

static ULONG WINAPI control_Release(IAudioSessionControl2 *iface)
{
    return wrapper_release(impl_from_IAudioSessionControl2(iface));
}

static HRESULT WINAPI control_GetState(IAudioSessionControl2 *iface, AudioSessionState *state)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%p)\n", wrapper, state);
    if (!state) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    *state = session_state(wrapper->session);
    ReleaseSRWLockShared(&sessions_lock);
    return S_OK;
}

/* Another process's name, icon and grouping are its own: the server lets only the program that
 * owns a stream change them. */
static HRESULT foreign_unchangeable(void)
{
    FIXME("another process's session keeps its name, icon and grouping\n");
    return E_NOTIMPL;
}

/* A copy of one of the session's strings for the caller. */
static HRESULT get_string(WCHAR *const *field, WCHAR **out)
{
    size_t size;

    if (!out) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    size = (wcslen(*field) + 1) * sizeof(WCHAR);
    if ((*out = CoTaskMemAlloc(size))) memcpy(*out, *field, size);
    ReleaseSRWLockShared(&sessions_lock);
    return *out ? S_OK : E_OUTOFMEMORY;
}

static HRESULT set_string(struct audio_session *session, WCHAR **field, const WCHAR *text, const GUID *context,
                          enum session_event_kind kind)
{
    struct session_event *event = NULL;
    WCHAR *copy, *old;

    if (!text) return NULL_PTR_ERR;
    if (!(copy = string_copy(text))) return E_OUTOFMEMORY;
    AcquireSRWLockExclusive(&sessions_lock);
    old = *field;
    *field = copy;
    if (session->sink_count && (event = event_new(kind, context)) && !(event->text = string_copy(text)))
    {
        free(event);
        event = NULL;
    }
    queue_session_event(session, event);
    ReleaseSRWLockExclusive(&sessions_lock);
    free(old);
    return S_OK;
}

/* The Windows ids of this process's parent, its parent's parent and so on, as far as they still run:
 * other processes' process loopback of an ancestor's tree records this one's streams too. */
static UINT32 process_ancestors(UINT32 *ids, UINT32 capacity)
{
    HANDLE process = GetCurrentProcess(), parent;
    PROCESS_BASIC_INFORMATION info;
    UINT32 count = 0;

    /* Outside Wine's tree the header names the parent's id Reserved3, as Windows' SDK does. */
    while (count < capacity
           && !NtQueryInformationProcess(process, ProcessBasicInformation, &info, sizeof(info), NULL)
           && info.Reserved3)
    {
        ids[count++] = (UINT32)(ULONG_PTR)info.Reserved3;
        parent = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, ids[count - 1]);
        if (process != GetCurrentProcess()) CloseHandle(process);
        if (!(process = parent)) break;
    }
    if (process && process != GetCurrentProcess()) CloseHandle(process);
    return count;
}

void session_name_program(const WCHAR *display_name)
{
    struct set_program_params params = { .process_id = GetCurrentProcessId() };
    WCHAR path[MAX_PATH];
    const WCHAR *name = display_name;

    if (!name || !*name)
    {
        if (!GetModuleFileNameW(NULL, path, ARRAY_SIZE(path))) path[0] = 0;
        name = wcsrchr(path, '\\') ? wcsrchr(path, '\\') + 1 : path;
    }
    if (!WideCharToMultiByte(CP_UTF8, 0, name, -1, params.name, sizeof(params.name), NULL, NULL))
        params.name[0] = 0;
    params.name[sizeof(params.name) - 1] = 0;
    params.ancestor_count = process_ancestors(params.ancestors, ARRAY_SIZE(params.ancestors));
    wine_unix_call(unix_set_program, &params);
}

static HRESULT WINAPI control_GetDisplayName(IAudioSessionControl2 *iface, WCHAR **name)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%p)\n", wrapper, name);
    return get_string(&wrapper->session->display_name, name);
}

static HRESULT WINAPI control_SetDisplayName(IAudioSessionControl2 *iface, const WCHAR *name, const GUID *context)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    HRESULT hr;

    TRACE("(%p)->(%s, %s)\n", wrapper, debugstr_w(name), debugstr_guid(context));
    if (wrapper->session->foreign) return foreign_unchangeable();
    hr = set_string(wrapper->session, &wrapper->session->display_name, name, context, EVENT_DISPLAY_NAME);
    if (SUCCEEDED(hr)) session_name_program(name);
    return hr;
}

static HRESULT WINAPI control_GetIconPath(IAudioSessionControl2 *iface, WCHAR **path)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%p)\n", wrapper, path);
    return get_string(&wrapper->session->icon_path, path);
}

static HRESULT WINAPI control_SetIconPath(IAudioSessionControl2 *iface, const WCHAR *path, const GUID *context)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%s, %s)\n", wrapper, debugstr_w(path), debugstr_guid(context));
    if (wrapper->session->foreign) return foreign_unchangeable();
    return set_string(wrapper->session, &wrapper->session->icon_path, path, context, EVENT_ICON_PATH);
}

static HRESULT WINAPI control_GetGroupingParam(IAudioSessionControl2 *iface, GUID *group)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%p)\n", wrapper, group);
    if (!group) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    *group = wrapper->session->grouping;
    ReleaseSRWLockShared(&sessions_lock);
    return S_OK;
}

static HRESULT WINAPI control_SetGroupingParam(IAudioSessionControl2 *iface, const GUID *group, const GUID *context)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);
    struct audio_session *session = wrapper->session;
    struct session_event *event;

    TRACE("(%p)->(%s, %s)\n", wrapper, debugstr_guid(group), debugstr_guid(context));
    if (!group) return NULL_PTR_ERR;
    if (session->foreign) return foreign_unchangeable();
    AcquireSRWLockExclusive(&sessions_lock);
    session->grouping = *group;
    if (session->sink_count && (event = event_new(EVENT_GROUPING, context)))
    {
        event->grouping = *group;
        queue_session_event(session, event);
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    return S_OK;
}

static HRESULT WINAPI control_RegisterAudioSessionNotification(IAudioSessionControl2 *iface,
                                                               IAudioSessionEvents *sink)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);
    struct audio_session *session = wrapper->session;
    IAudioSessionEvents **sinks;
    HRESULT hr = E_OUTOFMEMORY;

    TRACE("(%p)->(%p)\n", wrapper, sink);
    if (!sink) return NULL_PTR_ERR;
    AcquireSRWLockExclusive(&sessions_lock);
    if ((sinks = realloc(session->sinks, (session->sink_count + 1) * sizeof(*sinks))))
    {
        session->sinks = sinks;
        sinks[session->sink_count++] = sink;
        IAudioSessionEvents_AddRef(sink);
        start_events_thread();
        hr = S_OK;
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    /* OnSessionDisconnected comes from what the watch thread sees. */
    if (SUCCEEDED(hr)) devices_watch_start();
    return hr;
}

static HRESULT WINAPI control_UnregisterAudioSessionNotification(IAudioSessionControl2 *iface,
                                                                 IAudioSessionEvents *sink)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);
    struct audio_session *session = wrapper->session;
    BOOL found = FALSE;
    UINT32 i;

    TRACE("(%p)->(%p)\n", wrapper, sink);
    if (!sink) return NULL_PTR_ERR;
    AcquireSRWLockExclusive(&sessions_lock);
    for (i = 0; i < session->sink_count && !found; i++)
    {
        if (session->sinks[i] != sink) continue;
        memmove(session->sinks + i, session->sinks + i + 1, (session->sink_count - i - 1) * sizeof(*session->sinks));
        session->sink_count--;
        found = TRUE;
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    if (!found) return E_NOTFOUND;
    /* Outside the lock: the program's Release may call us. Callbacks already queued keep their
     * own references and still arrive. */
    IAudioSessionEvents_Release(sink);
    return S_OK;
}

/* "{endpoint id}|{program path}%b{session GUID}", and for the instance "|1%b{process id}" after it,
 * as Windows spells them. */
static HRESULT session_identifier(struct audio_session *session, BOOL instance, WCHAR **out)
{
    WCHAR path[MAX_PATH], guid[39], pid[16];
    size_t length;

    if (!out) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    /* Another process's program path is not known here: its name stands in. */
    if (session->foreign) lstrcpynW(path, session->display_name, ARRAY_SIZE(path));
    else if (!GetModuleFileNameW(NULL, path, ARRAY_SIZE(path))) path[0] = 0;
    swprintf(pid, ARRAY_SIZE(pid), L"%lu", session->foreign ? session->process_id : GetCurrentProcessId());
    ReleaseSRWLockShared(&sessions_lock);
    StringFromGUID2(&session->guid, guid, ARRAY_SIZE(guid));
    length = wcslen(session->device->id) + 1 + wcslen(path) + 2 + wcslen(guid) + 1;
    if (instance) length += 4 + wcslen(pid);
    if (!(*out = CoTaskMemAlloc(length * sizeof(WCHAR)))) return E_OUTOFMEMORY;
    swprintf(*out, length, L"%s|%s%%b%s", session->device->id, path, guid);
    if (instance) swprintf(*out + wcslen(*out), length - wcslen(*out), L"|1%%b%s", pid);
    return S_OK;
}

static HRESULT WINAPI control_GetSessionIdentifier(IAudioSessionControl2 *iface, WCHAR **id)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%p)\n", wrapper, id);
    return session_identifier(wrapper->session, FALSE, id);
}

static HRESULT WINAPI control_GetSessionInstanceIdentifier(IAudioSessionControl2 *iface, WCHAR **id)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%p)\n", wrapper, id);
    return session_identifier(wrapper->session, TRUE, id);
}

static HRESULT WINAPI control_GetProcessId(IAudioSessionControl2 *iface, DWORD *pid)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%p)\n", wrapper, pid);
    if (!pid) return NULL_PTR_ERR;
    *pid = wrapper->session->foreign ? wrapper->session->process_id : GetCurrentProcessId();
    return S_OK;
}

static HRESULT WINAPI control_IsSystemSoundsSession(IAudioSessionControl2 *iface)
{
    TRACE("(%p)\n", iface);
    return S_FALSE;    /* the system sounds session belongs to the audio service, not to a program */
}

static HRESULT WINAPI control_SetDuckingPreference(IAudioSessionControl2 *iface, BOOL opt_out)
{
    struct session_wrapper *wrapper = impl_from_IAudioSessionControl2(iface);

    TRACE("(%p)->(%d)\n", wrapper, opt_out);
    AcquireSRWLockExclusive(&sessions_lock);
    wrapper->session->ducking_opt_out = !!opt_out;
    ReleaseSRWLockExclusive(&sessions_lock);
    return S_OK;
}

static const IAudioSessionControl2Vtbl control_vtbl =
{
    control_QueryInterface,
    control_AddRef,
    control_Release,
    control_GetState,
    control_GetDisplayName,
    control_SetDisplayName,
    control_GetIconPath,
    control_SetIconPath,
    control_GetGroupingParam,
    control_SetGroupingParam,
    control_RegisterAudioSessionNotification,
    control_UnregisterAudioSessionNotification,
    control_GetSessionIdentifier,
    control_GetSessionInstanceIdentifier,
    control_GetProcessId,
    control_IsSystemSoundsSession,
    control_SetDuckingPreference,
};

static BOOL valid_level(float level)
{
    return level >= 0.0f && level <= 1.0f;    /* false for NaN too */
}

static HRESULT WINAPI simple_QueryInterface(ISimpleAudioVolume *iface, REFIID riid, void **out)
{
    struct session_wrapper *wrapper = impl_from_ISimpleAudioVolume(iface);

    TRACE("(%p)->(%s, %p)\n", wrapper, debugstr_guid(riid), out);
    return wrapper_query(wrapper, riid, out);
}

static ULONG WINAPI simple_AddRef(ISimpleAudioVolume *iface)
{
    return wrapper_addref(impl_from_ISimpleAudioVolume(iface));
}

static ULONG WINAPI simple_Release(ISimpleAudioVolume *iface)
{
    return wrapper_release(impl_from_ISimpleAudioVolume(iface));
}

/* With the lock held: the new master volume and mute to the members and the callbacks. */
static void simple_volume_changed(struct audio_session *session, const GUID *context)
{
    struct session_event *event;

    apply_gains_all(session);
    if (!session->sink_count || !(event = event_new(EVENT_SIMPLE_VOLUME, context))) return;
    event->volume = session->master;
    event->mute = session->mute;
    queue_session_event(session, event);
}

/* Another process's session: its volume and mute are those of its streams in the server. */
static HRESULT foreign_volume_set(struct audio_session *session, float level, BOOL mute, const GUID *context)
{
    struct endpoint_session_volume_params params = { .flow = session->device->flow,
                                                      .process_id = session->unix_process_id,
                                                      .volume = level, .mute = mute };

    AcquireSRWLockShared(&devices_lock);
    memcpy(params.key, session->device->key, sizeof(params.key));
    ReleaseSRWLockShared(&devices_lock);
    if (wine_unix_call(unix_endpoint_set_session_volume, &params)) return E_FAIL;
    if (FAILED(params.result)) return params.result;
    AcquireSRWLockExclusive(&sessions_lock);
    session->master = level;
    session->mute = mute;
    simple_volume_changed(session, context);
    ReleaseSRWLockExclusive(&sessions_lock);
    return S_OK;
}

static HRESULT WINAPI simple_SetMasterVolume(ISimpleAudioVolume *iface, float level, const GUID *context)
{
    struct session_wrapper *wrapper = impl_from_ISimpleAudioVolume(iface);

    TRACE("(%p)->(%f, %s)\n", wrapper, level, debugstr_guid(context));
    if (!valid_level(level)) return E_INVALIDARG;
    if (wrapper->session->foreign) return foreign_volume_set(wrapper->session, level, wrapper->session->mute, context);
    AcquireSRWLockExclusive(&sessions_lock);
    wrapper->session->master = level;
    simple_volume_changed(wrapper->session, context);
    ReleaseSRWLockExclusive(&sessions_lock);
    return S_OK;
}

static HRESULT WINAPI simple_GetMasterVolume(ISimpleAudioVolume *iface, float *level)
{
    struct session_wrapper *wrapper = impl_from_ISimpleAudioVolume(iface);

    TRACE("(%p)->(%p)\n", wrapper, level);
    if (!level) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    *level = wrapper->session->master;
    ReleaseSRWLockShared(&sessions_lock);
    return S_OK;
}

static HRESULT WINAPI simple_SetMute(ISimpleAudioVolume *iface, BOOL mute, const GUID *context)
{
    struct session_wrapper *wrapper = impl_from_ISimpleAudioVolume(iface);

    TRACE("(%p)->(%d, %s)\n", wrapper, mute, debugstr_guid(context));
    if (wrapper->session->foreign) return foreign_volume_set(wrapper->session, wrapper->session->master, !!mute, context);
    AcquireSRWLockExclusive(&sessions_lock);
    wrapper->session->mute = !!mute;
    simple_volume_changed(wrapper->session, context);
    ReleaseSRWLockExclusive(&sessions_lock);
    return S_OK;
}

static HRESULT WINAPI simple_GetMute(ISimpleAudioVolume *iface, BOOL *mute)
{
    struct session_wrapper *wrapper = impl_from_ISimpleAudioVolume(iface);

    TRACE("(%p)->(%p)\n", wrapper, mute);
    if (!mute) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    *mute = wrapper->session->mute;
    ReleaseSRWLockShared(&sessions_lock);
    return S_OK;
}

static const ISimpleAudioVolumeVtbl simple_vtbl =
{
    simple_QueryInterface,
    simple_AddRef,
    simple_Release,
    simple_SetMasterVolume,
    simple_GetMasterVolume,
    simple_SetMute,
    simple_GetMute,
};

static HRESULT WINAPI channel_QueryInterface(IChannelAudioVolume *iface, REFIID riid, void **out)
{
    struct session_wrapper *wrapper = impl_from_IChannelAudioVolume(iface);

    TRACE("(%p)->(%s, %p)\n", wrapper, debugstr_guid(riid), out);
    return wrapper_query(wrapper, riid, out);
}

static ULONG WINAPI channel_AddRef(IChannelAudioVolume *iface)
{
    return wrapper_addref(impl_from_IChannelAudioVolume(iface));
}

static ULONG WINAPI channel_Release(IChannelAudioVolume *iface)
{
    return wrapper_release(impl_from_IChannelAudioVolume(iface));
}

static HRESULT WINAPI channel_GetChannelCount(IChannelAudioVolume *iface, UINT32 *count)
{
    struct session_wrapper *wrapper = impl_from_IChannelAudioVolume(iface);

    TRACE("(%p)->(%p)\n", wrapper, count);
    if (!count) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    *count = wrapper->session->channel_count;
    ReleaseSRWLockShared(&sessions_lock);
    return S_OK;
}

/* With the lock held: new channel volumes to the members and the callbacks; changed is the index,
 * or (DWORD)-1 when all were set. */
static void channel_volume_changed(struct audio_session *session, DWORD changed, const GUID *context)
{
    struct session_event *event;

    apply_gains_all(session);
    if (!session->sink_count || !(event = event_new(EVENT_CHANNEL_VOLUME, context))) return;
    event->channel_count = session->channel_count;
    memcpy(event->channels, session->channels, session->channel_count * sizeof(float));
    event->changed_channel = changed;
    queue_session_event(session, event);
}

static HRESULT WINAPI channel_SetChannelVolume(IChannelAudioVolume *iface, UINT32 index, float level,
                                               const GUID *context)
{
    struct session_wrapper *wrapper = impl_from_IChannelAudioVolume(iface);
    struct audio_session *session = wrapper->session;
    HRESULT hr = E_INVALIDARG;

    TRACE("(%p)->(%u, %f, %s)\n", wrapper, index, level, debugstr_guid(context));
    if (!valid_level(level)) return E_INVALIDARG;
    AcquireSRWLockExclusive(&sessions_lock);
    if (index < session->channel_count)
    {
        session->channels[index] = level;
        channel_volume_changed(session, index, context);
        hr = S_OK;
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    return hr;
}

static HRESULT WINAPI channel_GetChannelVolume(IChannelAudioVolume *iface, UINT32 index, float *level)
{
    struct session_wrapper *wrapper = impl_from_IChannelAudioVolume(iface);
    struct audio_session *session = wrapper->session;
    HRESULT hr = E_INVALIDARG;

    TRACE("(%p)->(%u, %p)\n", wrapper, index, level);
    if (!level) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    if (index < session->channel_count)
    {
        *level = session->channels[index];
        hr = S_OK;
    }
    ReleaseSRWLockShared(&sessions_lock);
    return hr;
}

static HRESULT WINAPI channel_SetAllVolumes(IChannelAudioVolume *iface, UINT32 count, const float *levels,
                                            const GUID *context)
{
    struct session_wrapper *wrapper = impl_from_IChannelAudioVolume(iface);
    struct audio_session *session = wrapper->session;
    HRESULT hr = E_INVALIDARG;
    UINT32 i;

    TRACE("(%p)->(%u, %p, %s)\n", wrapper, count, levels, debugstr_guid(context));
    if (!levels) return NULL_PTR_ERR;
    for (i = 0; i < count && i < MMDEVAPI_MAX_CHANNELS; i++)
        if (!valid_level(levels[i])) return E_INVALIDARG;
    AcquireSRWLockExclusive(&sessions_lock);
    if (count && count == session->channel_count)
    {
        memcpy(session->channels, levels, count * sizeof(float));
        channel_volume_changed(session, (DWORD)-1, context);
        hr = S_OK;
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    return hr;
}

static HRESULT WINAPI channel_GetAllVolumes(IChannelAudioVolume *iface, UINT32 count, float *levels)
{
    struct session_wrapper *wrapper = impl_from_IChannelAudioVolume(iface);
    struct audio_session *session = wrapper->session;
    HRESULT hr = E_INVALIDARG;

    TRACE("(%p)->(%u, %p)\n", wrapper, count, levels);
    if (!levels) return NULL_PTR_ERR;
    AcquireSRWLockShared(&sessions_lock);
    if (count && count == session->channel_count)
    {
        memcpy(levels, session->channels, count * sizeof(float));
        hr = S_OK;
    }
    ReleaseSRWLockShared(&sessions_lock);
    return hr;
}

static const IChannelAudioVolumeVtbl channel_vtbl =
{
    channel_QueryInterface,
    channel_AddRef,
    channel_Release,
    channel_GetChannelCount,
    channel_SetChannelVolume,
    channel_GetChannelVolume,
    channel_SetAllVolumes,
    channel_GetAllVolumes,
};

/* client: the stream the wrapper holds, or NULL. */
static HRESULT wrapper_create(struct audio_session *session, struct audio_client *client,
                              struct session_wrapper **out)
{
    struct session_wrapper *wrapper;

    if (!(*out = wrapper = calloc(1, sizeof(*wrapper)))) return E_OUTOFMEMORY;
    wrapper->IAudioSessionControl2_iface.lpVtbl = &control_vtbl;
    wrapper->ISimpleAudioVolume_iface.lpVtbl = &simple_vtbl;
    wrapper->IChannelAudioVolume_iface.lpVtbl = &channel_vtbl;
    meter_part_init(&wrapper->meter, &meter_ops);
    wrapper->ref = 1;
    wrapper->session = session;
    if ((wrapper->client = client)) audio_client_addref(client);
    return S_OK;
}

/* A reference on a wrapper, unless its last one is gone (its Release then waits for the lock to
 * take it off the stream). */
static BOOL wrapper_addref_live(struct session_wrapper *wrapper)
{
    LONG ref = ReadNoFence(&wrapper->ref);

    while (ref)
    {
        LONG seen = InterlockedCompareExchange(&wrapper->ref, ref + 1, ref);
        if (seen == ref) return TRUE;
        ref = seen;
    }
    return FALSE;
}

/* GetService of an initialized stream for a session interface. Windows answers IAudioSessionControl,
 * not IAudioSessionControl2 (that one through QueryInterface), and the same object each time. */
HRESULT session_get_service(struct audio_client *client, REFIID riid, void **out)
{
    struct session_wrapper *wrapper;
    HRESULT hr = S_OK;

    if (!IsEqualIID(riid, &IID_IAudioSessionControl) && !IsEqualIID(riid, &IID_ISimpleAudioVolume)
        && !IsEqualIID(riid, &IID_IChannelAudioVolume))
        return E_NOINTERFACE;
    AcquireSRWLockExclusive(&sessions_lock);
    if (!client->session) hr = E_OUTOFMEMORY;    /* it has one from Initialize on */
    else if (!(wrapper = client->session_wrapper) || !wrapper_addref_live(wrapper))
    {
        if (SUCCEEDED(hr = wrapper_create(client->session, client, &wrapper))) client->session_wrapper = wrapper;
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    if (FAILED(hr)) return hr;

    if (IsEqualIID(riid, &IID_IAudioSessionControl)) *out = &wrapper->IAudioSessionControl2_iface;
    else if (IsEqualIID(riid, &IID_ISimpleAudioVolume)) *out = &wrapper->ISimpleAudioVolume_iface;
    else *out = &wrapper->IChannelAudioVolume_iface;
    return S_OK;
}

/* IAudioSessionEnumerator: the sessions of an endpoint in this process when it was made. */
struct session_enumerator
{
    IAudioSessionEnumerator IAudioSessionEnumerator_iface;
    LONG ref;
    UINT32 count;
    struct audio_session *sessions[];
};

static inline struct session_enumerator *impl_from_IAudioSessionEnumerator(IAudioSessionEnumerator *iface)
{
    return CONTAINING_RECORD(iface, struct session_enumerator, IAudioSessionEnumerator_iface);
}

static HRESULT WINAPI enumerator_QueryInterface(IAudioSessionEnumerator *iface, REFIID riid, void **out)
{
    struct session_enumerator *enumerator = impl_from_IAudioSessionEnumerator(iface);

    TRACE("(%p)->(%s, %p)\n", enumerator, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IAudioSessionEnumerator))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    IAudioSessionEnumerator_AddRef(iface);
    return S_OK;
}

static ULONG WINAPI enumerator_AddRef(IAudioSessionEnumerator *iface)
{
    struct session_enumerator *enumerator = impl_from_IAudioSessionEnumerator(iface);
    ULONG ref = InterlockedIncrement(&enumerator->ref);

    TRACE("(%p) ref %lu\n", enumerator, ref);
    return ref;
}

static ULONG WINAPI enumerator_Release(IAudioSessionEnumerator *iface)
{
    struct session_enumerator *enumerator = impl_from_IAudioSessionEnumerator(iface);
    ULONG ref = InterlockedDecrement(&enumerator->ref);

    TRACE("(%p) ref %lu\n", enumerator, ref);
    if (!ref) free(enumerator);
    return ref;
}

static HRESULT WINAPI enumerator_GetCount(IAudioSessionEnumerator *iface, int *count)
{
    struct session_enumerator *enumerator = impl_from_IAudioSessionEnumerator(iface);

    TRACE("(%p)->(%p)\n", enumerator, count);
    if (!count) return E_POINTER;
    *count = enumerator->count;
    return S_OK;
}

static HRESULT WINAPI enumerator_GetSession(IAudioSessionEnumerator *iface, int index, IAudioSessionControl **out)
{
    struct session_enumerator *enumerator = impl_from_IAudioSessionEnumerator(iface);
    struct session_wrapper *wrapper;
    HRESULT hr;

    TRACE("(%p)->(%d, %p)\n", enumerator, index, out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (index < 0 || (UINT32)index >= enumerator->count) return E_INVALIDARG;
    if (FAILED(hr = wrapper_create(enumerator->sessions[index], NULL, &wrapper))) return hr;
    *out = (IAudioSessionControl *)&wrapper->IAudioSessionControl2_iface;
    return S_OK;
}

static const IAudioSessionEnumeratorVtbl enumerator_vtbl =
{
    enumerator_QueryInterface,
    enumerator_AddRef,
    enumerator_Release,
    enumerator_GetCount,
    enumerator_GetSession,
};

/* IAudioSessionManager2 of an endpoint. */
struct session_manager
{
    IAudioSessionManager2 IAudioSessionManager2_iface;
    LONG ref;
    struct mmdevice *device;
};

static inline struct session_manager *impl_from_IAudioSessionManager2(IAudioSessionManager2 *iface)
{
    return CONTAINING_RECORD(iface, struct session_manager, IAudioSessionManager2_iface);
}

static HRESULT WINAPI manager_QueryInterface(IAudioSessionManager2 *iface, REFIID riid, void **out)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);

    TRACE("(%p)->(%s, %p)\n", manager, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IAudioSessionManager)
        && !IsEqualIID(riid, &IID_IAudioSessionManager2))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    IAudioSessionManager2_AddRef(iface);
    return S_OK;
}

static ULONG WINAPI manager_AddRef(IAudioSessionManager2 *iface)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);
    ULONG ref = InterlockedIncrement(&manager->ref);

    TRACE("(%p) ref %lu\n", manager, ref);
    return ref;
}

static ULONG WINAPI manager_Release(IAudioSessionManager2 *iface)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);
    ULONG ref = InterlockedDecrement(&manager->ref);

    TRACE("(%p) ref %lu\n", manager, ref);
    if (!ref) free(manager);
    return ref;
}

/* A wrapper on the session of this endpoint named by guid, made if there is none yet, as Windows
 * does. */
static HRESULT manager_wrapper(struct session_manager *manager, const GUID *guid, struct session_wrapper **out)
{
    struct audio_session *session;

    AcquireSRWLockExclusive(&sessions_lock);
    session = session_get(manager->device, guid);
    ReleaseSRWLockExclusive(&sessions_lock);
    if (!session) return E_OUTOFMEMORY;
    return wrapper_create(session, NULL, out);
}

static HRESULT WINAPI manager_GetAudioSessionControl(IAudioSessionManager2 *iface, const GUID *guid, DWORD flags,
                                                     IAudioSessionControl **out)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);
    struct session_wrapper *wrapper;
    HRESULT hr;

    TRACE("(%p)->(%s, %#lx, %p)\n", manager, debugstr_guid(guid), flags, out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (FAILED(hr = manager_wrapper(manager, guid, &wrapper))) return hr;
    *out = (IAudioSessionControl *)&wrapper->IAudioSessionControl2_iface;
    return S_OK;
}

static HRESULT WINAPI manager_GetSimpleAudioVolume(IAudioSessionManager2 *iface, const GUID *guid, DWORD flags,
                                                   ISimpleAudioVolume **out)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);
    struct session_wrapper *wrapper;
    HRESULT hr;

    TRACE("(%p)->(%s, %#lx, %p)\n", manager, debugstr_guid(guid), flags, out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (FAILED(hr = manager_wrapper(manager, guid, &wrapper))) return hr;
    *out = &wrapper->ISimpleAudioVolume_iface;
    return S_OK;
}

/* With the lock held: another process's session on device as the backend shows it now, made
 * the first time it is seen. */
static void foreign_session_update(struct mmdevice *device, const struct endpoint_session *shown)
{
    struct audio_session *session;
    WCHAR name[MMDEVAPI_DEVICE_NAME_MAX], *copy;

    for (session = sessions; session; session = session->next)
        if (session->device == device && session->foreign && session->unix_process_id == shown->process_id) break;
    if (!session)
    {
        if (!(session = session_new(device, &default_session))) return;
        session->foreign = TRUE;
        session->unix_process_id = shown->process_id;
    }
    if (!MultiByteToWideChar(CP_UTF8, 0, shown->name, -1, name, ARRAY_SIZE(name))) name[0] = 0;
    name[ARRAY_SIZE(name) - 1] = 0;
    if ((copy = string_copy(name)))
    {
        free(session->display_name);
        session->display_name = copy;
    }
    session->process_id = shown->windows_process_id ? shown->windows_process_id : shown->process_id;
    session->master = shown->volume;
    session->mute = shown->mute;
    session->foreign_state = shown->active ? AudioSessionStateActive : AudioSessionStateInactive;
    state_changed(session);
}

/* The other processes' sessions on device, as the backend shows them now: those it no longer
 * shows have expired. */
static void foreign_sessions_refresh(struct mmdevice *device)
{
    struct endpoint_sessions_params *params;
    struct audio_session *session;
    UINT32 i;

    if (!(params = calloc(1, sizeof(*params)))) return;
    params->flow = device->flow;
    AcquireSRWLockShared(&devices_lock);
    memcpy(params->key, device->key, sizeof(params->key));
    ReleaseSRWLockShared(&devices_lock);
    if (wine_unix_call(unix_endpoint_sessions, params) || FAILED(params->result))
        params->count = 0;
    AcquireSRWLockExclusive(&sessions_lock);
    for (session = sessions; session; session = session->next)
        if (session->device == device && session->foreign) session->foreign_state = AudioSessionStateExpired;
    for (i = 0; i < min(params->count, MMDEVAPI_SESSIONS_MAX); i++) foreign_session_update(device, &params->sessions[i]);
    for (session = sessions; session; session = session->next)
        if (session->device == device && session->foreign) state_changed(session);
    ReleaseSRWLockExclusive(&sessions_lock);
    free(params);
}

static HRESULT WINAPI manager_GetSessionEnumerator(IAudioSessionManager2 *iface, IAudioSessionEnumerator **out)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);
    struct session_enumerator *enumerator;
    struct audio_session *session;
    UINT32 count = 0;

    TRACE("(%p)->(%p)\n", manager, out);
    if (!out) return E_POINTER;
    *out = NULL;
    foreign_sessions_refresh(manager->device);
    AcquireSRWLockShared(&sessions_lock);
    for (session = sessions; session; session = session->next)
        if (session->device == manager->device && session_state(session) != AudioSessionStateExpired) count++;
    if ((enumerator = malloc(offsetof(struct session_enumerator, sessions[count]))))
    {
        enumerator->count = 0;
        for (session = sessions; session; session = session->next)
            if (session->device == manager->device && session_state(session) != AudioSessionStateExpired)
                enumerator->sessions[enumerator->count++] = session;
    }
    ReleaseSRWLockShared(&sessions_lock);
    if (!enumerator) return E_OUTOFMEMORY;
    enumerator->IAudioSessionEnumerator_iface.lpVtbl = &enumerator_vtbl;
    enumerator->ref = 1;
    *out = &enumerator->IAudioSessionEnumerator_iface;
    return S_OK;
}

static HRESULT registration_add(struct registration **list, struct mmdevice *device, IUnknown *sink)
{
    struct registration *reg;

    if (!sink) return E_POINTER;
    if (!(reg = malloc(sizeof(*reg)))) return E_OUTOFMEMORY;
    reg->device = device;
    reg->sink = sink;
    IUnknown_AddRef(sink);
    AcquireSRWLockExclusive(&sessions_lock);
    reg->next = *list;
    *list = reg;
    start_events_thread();
    ReleaseSRWLockExclusive(&sessions_lock);
    return S_OK;
}

static HRESULT registration_remove(struct registration **list, struct mmdevice *device, IUnknown *sink)
{
    struct registration **link, *reg = NULL;

    if (!sink) return E_POINTER;
    AcquireSRWLockExclusive(&sessions_lock);
    for (link = list; *link; link = &(*link)->next)
    {
        if ((*link)->device != device || (*link)->sink != sink) continue;
        reg = *link;
        *link = reg->next;
        break;
    }
    ReleaseSRWLockExclusive(&sessions_lock);
    if (!reg) return E_NOTFOUND;
    IUnknown_Release(reg->sink);
    free(reg);
    return S_OK;
}

static HRESULT WINAPI manager_RegisterSessionNotification(IAudioSessionManager2 *iface,
                                                         IAudioSessionNotification *sink)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);

    TRACE("(%p)->(%p)\n", manager, sink);
    return registration_add(&session_notifications, manager->device, (IUnknown *)sink);
}

static HRESULT WINAPI manager_UnregisterSessionNotification(IAudioSessionManager2 *iface,
                                                           IAudioSessionNotification *sink)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);

    TRACE("(%p)->(%p)\n", manager, sink);
    return registration_remove(&session_notifications, manager->device, (IUnknown *)sink);
}

/* Ducking (the system lowering other sessions while a communications stream plays) does not happen
 * here, so a registered IAudioVolumeDuckNotification is kept and never called. */
static HRESULT WINAPI manager_RegisterDuckNotification(IAudioSessionManager2 *iface, const WCHAR *session_id,
                                                      IAudioVolumeDuckNotification *sink)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);

    TRACE("(%p)->(%s, %p)\n", manager, debugstr_w(session_id), sink);
    return registration_add(&duck_notifications, manager->device, (IUnknown *)sink);
}

static HRESULT WINAPI manager_UnregisterDuckNotification(IAudioSessionManager2 *iface,
                                                        IAudioVolumeDuckNotification *sink)
{
    struct session_manager *manager = impl_from_IAudioSessionManager2(iface);

    TRACE("(%p)->(%p)\n", manager, sink);
    return registration_remove(&duck_notifications, manager->device, (IUnknown *)sink);
}

static const IAudioSessionManager2Vtbl manager_vtbl =
{
    manager_QueryInterface,
    manager_AddRef,
    manager_Release,
    manager_GetAudioSessionControl,
    manager_GetSimpleAudioVolume,
    manager_GetSessionEnumerator,
    manager_RegisterSessionNotification,
    manager_UnregisterSessionNotification,
    manager_RegisterDuckNotification,
    manager_UnregisterDuckNotification,
};

HRESULT session_manager_create(struct mmdevice *device, REFIID riid, void **out)
{
    struct session_manager *manager;
    HRESULT hr;

    if (!(manager = calloc(1, sizeof(*manager)))) return E_OUTOFMEMORY;
    manager->IAudioSessionManager2_iface.lpVtbl = &manager_vtbl;
    manager->ref = 1;
    manager->device = device;
    hr = IAudioSessionManager2_QueryInterface(&manager->IAudioSessionManager2_iface, riid, out);
    IAudioSessionManager2_Release(&manager->IAudioSessionManager2_iface);
    return hr;
}
