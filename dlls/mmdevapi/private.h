/* What the PE side's files share. */
#ifndef MMDEVAPI_PRIVATE_H
#define MMDEVAPI_PRIVATE_H

#define COBJMACROS
#define CONST_VTABLE
#include <stdarg.h>
#include <windef.h>
#include <winbase.h>
#include <winreg.h>
#include <objbase.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <endpointvolume.h>
#include <audiopolicy.h>
#include "audio_meter.h"
#include <wine/debug.h>

#include "mmdevapi_unix.h"
#include "mmdevapi_ring.h"

#define E_NOTFOUND HRESULT_FROM_WIN32(ERROR_NOT_FOUND)

/* Wine's short debug macros exist only for its own tree (__WINESRC__). */
#define TRACE WINE_TRACE
#define WARN WINE_WARN
#define FIXME WINE_FIXME
#define ERR WINE_ERR
#define debugstr_a wine_dbgstr_a
#define debugstr_w wine_dbgstr_w
#define debugstr_guid wine_dbgstr_guid

/* An endpoint. Programs may hold one for the life of the process and across device changes, so
 * endpoints are never freed: an endpoint that goes away only changes state. */
struct mmdevice
{
    IMMDevice IMMDevice_iface;
    IMMEndpoint IMMEndpoint_iface;
    EDataFlow flow;
    DWORD state;        /* DEVICE_STATE_* */
    GUID guid;
    WCHAR id[64];       /* "{0.0.F.00000000}.{guid}" */
    /* What IMMNotificationClient's clients were last told of it (devices_lock): they hear of an
     * endpoint new to them (reported FALSE) and of each state it moves to. */
    BOOL reported;
    DWORD reported_state;
    /* What the backend last said of it (valid while state is DEVICE_STATE_ACTIVE). */
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    struct endpoint_format format;
    /* Its engine in this process, made on the first stream (engine_lock). */
    UINT64 engine;
    UINT32 period_frames;
    UINT32 min_period_frames;
    /* A render endpoint's loopback engine, made on the first loopback stream (engine_lock). */
    UINT64 loopback_engine;
    UINT32 loopback_period_frames;
    UINT32 loopback_min_period_frames;
};

struct audio_session;
struct session_wrapper;

/* A stream: IAudioClient3 and the services GetService hands out, which share its lifetime. */
struct audio_client
{
    IAudioClient3 IAudioClient3_iface;
    IAudioRenderClient IAudioRenderClient_iface;
    IAudioCaptureClient IAudioCaptureClient_iface;
    IAudioClock IAudioClock_iface;
    IAudioClock2 IAudioClock2_iface;
    IAudioClockAdjustment IAudioClockAdjustment_iface;
    IAudioStreamVolume IAudioStreamVolume_iface;
    IUnknown *marshal;              /* the free-threaded marshaler, aggregated */
    LONG ref;
    struct mmdevice *device;
    SRWLOCK lock;                   /* the state below; never taken by the hot path */

    /* Fixed once initialized is set (with release semantics). */
    LONG initialized;
    DWORD flags;                    /* AUDCLNT_STREAMFLAGS_* */
    struct endpoint_format pcm;
    UINT32 frame_bytes;
    UINT32 buffer_frames;
    UINT32 period_frames;           /* the engine's period, in the stream's frames: a capture packet */
    UINT32 packet_count;            /* capture: the ring's packets, and where their descriptions are */
    UINT32 packets_offset;
    UINT64 stream;
    struct stream_shared *shared;

    BOOL started;
    HANDLE event;
    /* The hot path's own state: frames a GetBuffer handed out and not yet released (+1, 0 when
     * none), claimed with an interlocked exchange; the staging area for a request that wraps. */
    LONG pending;
    BYTE *staging;
    /* The highest position reported since the last reset, and that reset's generation (clock.c): a
     * clock read must never go back (interlocked). */
    LONG64 clock_last;

    /* session.c, under its lock: the session the stream joined at Initialize, the next member of it,
     * and the object GetService hands out for the session's interfaces (it holds the stream). */
    struct audio_session *session;
    struct audio_client *session_next;
    struct session_wrapper *session_wrapper;

    /* client.c, under followers_lock: a client activated for the default endpoint of its flow
     * (ActivateAudioInterfaceAsync) follows it; the next such client. */
    BOOL follows_default;
    struct audio_client *follower_next;

    /* A process loopback client (ActivateAudioInterfaceAsync): the Windows process whose tree it
     * records (0 for every other client), or everything but that tree. */
    DWORD process_target;
    BOOL process_exclude;
};

/* devices.c */
HRESULT devices_init(void);
extern SRWLOCK devices_lock;
extern struct mmdevice **devices;
extern UINT devices_count;
struct mmdevice *device_default(EDataFlow flow);
struct mmdevice *device_find(const WCHAR *id);
BOOL device_present(const struct mmdevice *device);
HKEY device_open_key(const struct mmdevice *device, const WCHAR *subkey, REGSAM access);
/* Starts, once, the thread that follows what the backend says changed: endpoints that come and go
 * and new defaults (IMMNotificationClient, IAudioSessionEvents::OnSessionDisconnected) and the
 * endpoints' volumes (IAudioEndpointVolumeCallback). Called when a program registers for one. */
void devices_watch_start(void);
#define DEVICE_INTERFACE_PATH_MAX 128
void device_interface_path(const struct mmdevice *device, WCHAR path[DEVICE_INTERFACE_PATH_MAX]);

/* Frames written and not yet taken by the engine. The engine's index first: the program's can only
 * have grown since, so the difference never goes below 0; a ring scribbled on reads as full. */
static inline UINT32 ring_padding(struct stream_shared *shared)
{
    UINT64 read = __atomic_load_n(&shared->read_frames, __ATOMIC_ACQUIRE);
    UINT64 written = __atomic_load_n(&shared->write_frames, __ATOMIC_ACQUIRE);

    return written - read > shared->buffer_frames ? shared->buffer_frames : written - read;
}

/* Whether the engine gave up the stream's device (AUDCLNT_E_DEVICE_INVALIDATED from then on). */
static inline BOOL ring_invalidated(struct stream_shared *shared)
{
    return __atomic_load_n(&shared->invalidated, __ATOMIC_ACQUIRE);
}

HRESULT device_engine(struct mmdevice *device, UINT64 *engine, UINT32 *period_frames, UINT32 *min_period_frames);
HRESULT device_loopback_engine(struct mmdevice *device, UINT64 *engine, UINT32 *period_frames,
                               UINT32 *min_period_frames);
/* The engine that records what device plays from the process tree of the Windows process target,
 * or with exclude from everything but it: E_NOTIMPL where the backend cannot tell whose a stream is. */
HRESULT device_process_loopback_engine(struct mmdevice *device, DWORD target, BOOL exclude, UINT64 *engine,
                                       UINT32 *period_frames, UINT32 *min_period_frames);

/* devenum.c: tells the registered IMMNotificationClients, on the calling thread (the watch
 * thread, which holds no lock); ids are the endpoints' (NULL: no default any more). */
enum endpoint_change_kind { ENDPOINT_ADDED, ENDPOINT_STATE, ENDPOINT_DEFAULT };
struct endpoint_change
{
    enum endpoint_change_kind kind;
    WCHAR id[64];
    BOOL has_id;
    DWORD state;                    /* ENDPOINT_STATE */
    EDataFlow flow;                 /* ENDPOINT_DEFAULT */
};
void notify_endpoint_clients(const struct endpoint_change *changes, UINT32 count);

/* client.c */
HRESULT audio_client_create(struct mmdevice *device, REFIID riid, void **out);
HRESULT audio_client_create_process_loopback(DWORD target, BOOL exclude, REFIID riid, void **out);
void audio_client_follow_default(IUnknown *activated);
void audio_clients_follow_default(EDataFlow flow, struct mmdevice *device);
void audio_client_addref(struct audio_client *client);
ULONG audio_client_release(struct audio_client *client);
HRESULT audio_client_query_other(struct audio_client *client, REFIID riid, void **out);

/* session.c */
HRESULT session_join(struct audio_client *client, const GUID *guid);
void session_leave(struct audio_client *client);
void session_stream_started(struct audio_client *client, BOOL started);
HRESULT session_get_service(struct audio_client *client, REFIID riid, void **out);
HRESULT session_manager_create(struct mmdevice *device, REFIID riid, void **out);
BOOL callbacks_post(void (*call)(void *arg), void *arg);
/* The endpoint went away: its sessions' IAudioSessionEvents hear OnSessionDisconnected(reason). */
void sessions_disconnect(struct mmdevice *device, AudioSessionDisconnectReason reason);
/* Names this process's backend streams for the desktop's mixer (opened from then on): display_name,
 * the one a session was given last, else (NULL or empty) the executable's file name. */
void session_name_program(const WCHAR *display_name);

/* endpointvolume.c */
HRESULT endpoint_volume_create(struct mmdevice *device, REFIID riid, void **out);
HRESULT audio_meter_create(struct mmdevice *device, REFIID riid, void **out);
/* The watch thread's part: the endpoints' volumes may have changed; tells the callbacks of each
 * endpoint whose volume did. */
void endpoint_volumes_changed(void);
/* IAudioMeterInformation as a part of an object (the device's meter, a session's control): the
 * object answers its IUnknown and says its peaks. */
struct meter_part;
struct meter_part_ops
{
    HRESULT (*query)(struct meter_part *part, REFIID riid, void **out);
    ULONG (*addref)(struct meter_part *part);
    ULONG (*release)(struct meter_part *part);
    /* The last period's peaks, one a channel, and how many channels. */
    void (*read)(struct meter_part *part, float peaks[MMDEVAPI_MAX_CHANNELS], UINT32 *channels);
};
struct meter_part
{
    IAudioMeterInformation IAudioMeterInformation_iface;
    const struct meter_part_ops *ops;
};
void meter_part_init(struct meter_part *part, const struct meter_part_ops *ops);

/* render.c, capture.c, clock.c, volume.c: the service interfaces' tables */
extern const IAudioRenderClientVtbl render_client_vtbl;
extern const IAudioCaptureClientVtbl capture_client_vtbl;
extern const IAudioClockVtbl clock_vtbl;
extern const IAudioClock2Vtbl clock2_vtbl;
extern const IAudioClockAdjustmentVtbl clock_adjustment_vtbl;
extern const IAudioStreamVolumeVtbl stream_volume_vtbl;

/* topology.c, dsound.c: what IMMDevice::Activate makes besides streams */
struct IDeviceTopology;
HRESULT topology_create(struct mmdevice *device, struct IDeviceTopology **out);
HRESULT dsound_create(struct mmdevice *device, REFIID riid, DWORD clsctx, void **out);
HRESULT dsound_capture_create(struct mmdevice *device, DWORD clsctx, void **out);
HRESULT dsound_renderer_create(struct mmdevice *device, DWORD clsctx, void **out);

/* devenum.c */
HRESULT enumerator_create(REFIID riid, void **out);

/* propstore.c */
HRESULT property_store_create(struct mmdevice *device, DWORD access, IPropertyStore **out);
HRESULT property_write(HKEY properties, const PROPERTYKEY *key, const PROPVARIANT *value);
LSTATUS registry_set_value(HKEY key, const WCHAR *name, DWORD type, const void *data, DWORD size);

#endif
