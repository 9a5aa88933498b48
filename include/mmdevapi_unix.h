/* The boundary between mmdevapi.dll (PE) and mmdevapi.so (Linux): one call code and one params
 * struct per call. Inputs come first, then the HRESULT, then outputs. The NTSTATUS of a call only
 * says that it got through. Fields are fixed-width, so that params have one layout for a 32-bit
 * and a 64-bit PE side (Wine's UINT64 is 8-aligned on i386 too); a new call, and a pointer in its
 * params, needs its line in unixlib/wow64.c (tests/unit/wow64.c says when one is missing).
 * The Linux side checks every input: the PE side's memory is the program's to scribble on. */
#ifndef MMDEVAPI_UNIX_H
#define MMDEVAPI_UNIX_H

#include "wine_unixlib.h"
#include "mmdevapi_ring.h"     /* MMDEVAPI_MAX_CHANNELS */

enum mmdevapi_unix_call
{
    unix_process_attach,
    unix_get_endpoints,
    unix_engine_create,
    unix_engine_run,
    unix_engine_signal,
    unix_engine_get_period,
    unix_stream_create,
    unix_stream_release,
    unix_stream_start,
    unix_stream_stop,
    unix_stream_reset,
    unix_stream_set_event,
    unix_stream_set_rate,
    unix_set_program,
    unix_endpoint_get_volume,
    unix_endpoint_set_volume,
    unix_endpoints_watch,
    unix_engine_get_peaks,
    unix_engine_device_gone,
    unix_stream_move,
    unix_endpoint_sessions,
    unix_endpoint_set_session_volume,
    unix_call_count
};

#define MMDEVAPI_BACKEND_REQUEST_MAX 64
#define MMDEVAPI_BACKEND_NAME_MAX 16
#define MMDEVAPI_DEVICE_KEY_MAX 256
#define MMDEVAPI_DEVICE_NAME_MAX 256
#define MMDEVAPI_ENDPOINTS_MAX 64
#define MMDEVAPI_NO_DEFAULT 0xffffffffu

/* Same values as EDataFlow's eRender and eCapture. */
enum mmdevapi_flow
{
    MMDEVAPI_RENDER = 0,
    MMDEVAPI_CAPTURE = 1,
    /* A render endpoint recorded: what it plays (AUDCLNT_STREAMFLAGS_LOOPBACK). For engines and
     * backend streams only; never a flow of endpoints. */
    MMDEVAPI_LOOPBACK = 2,
    /* A render endpoint recorded as the sound of one Windows process tree only, or of everything
     * but it (process loopback): engine_create_params' target says which. Engines only. */
    MMDEVAPI_PROCESS_LOOPBACK = 3,
};

struct process_attach_params
{
    /* Wine's HKCU\Software\Wine\Drivers "Audio": backend names separated by commas, tried in order.
     * An absent value (has_request == 0) means: PulseAudio if a server answers, else ALSA.
     * A present but empty value means no backend, as in Wine. */
    UINT32 has_request;
    char request[MMDEVAPI_BACKEND_REQUEST_MAX];
    HRESULT result;
    char backend[MMDEVAPI_BACKEND_NAME_MAX];    /* the backend chosen, "" if none */
};

/* A PCM format: an endpoint's as the backend runs it, or a stream's as the program writes it.
 * Integer samples are signed but for 8 bits; valid_bits < bits means the valid bits are the
 * most significant of the container, as in WAVEFORMATEXTENSIBLE. */
struct endpoint_format
{
    UINT32 rate;
    UINT32 channels;
    UINT32 channel_mask;    /* SPEAKER_* bits */
    UINT32 bits;            /* container */
    UINT32 valid_bits;
    UINT32 is_float;
};

struct endpoint_info
{
    char key[MMDEVAPI_DEVICE_KEY_MAX];      /* the backend's own name, UTF-8: stable, identifies it */
    char name[MMDEVAPI_DEVICE_NAME_MAX];    /* the backend's description for people, UTF-8 */
    UINT32 form_factor;                     /* EndpointFormFactor */
    struct endpoint_format format;
};

struct get_endpoints_params
{
    UINT32 flow;                        /* enum mmdevapi_flow */
    UINT32 capacity;                    /* entries at endpoints, at most MMDEVAPI_ENDPOINTS_MAX */
    struct endpoint_info *endpoints;
    HRESULT result;
    UINT32 count;                       /* endpoints written */
    UINT32 default_index;               /* MMDEVAPI_NO_DEFAULT when there is none */
};

/* One engine per endpoint and direction in this process, started on first use. Its two threads are
 * Wine threads that the PE side creates: one lives inside unix_engine_run (the mix), the other
 * inside unix_engine_signal (the programs' events, so that the mix never waits for the
 * wineserver). Both take engine_run_params. */
struct engine_create_params
{
    char key[MMDEVAPI_DEVICE_KEY_MAX];      /* the endpoint, as endpoint_info.key */
    UINT32 flow;
    struct endpoint_format format;          /* the endpoint's, from endpoint_info: the mix runs float32 of it */
    /* MMDEVAPI_PROCESS_LOOPBACK only (0 otherwise): the Windows process id whose tree is
     * recorded, not 0, and whether everything but that tree is (1) instead of it (0). */
    UINT32 target_process_id;
    UINT32 exclude_target;
    HRESULT result;
    UINT64 engine;
    UINT32 period_frames;                   /* the engine's period, in frames of format.rate */
    UINT32 min_period_frames;               /* the smallest period streams may ask (IAudioClient3) */
};

struct engine_run_params
{
    UINT64 engine;
    HRESULT result;
};

/* unix_engine_device_gone: the engine's endpoint went away; its streams answer
 * AUDCLNT_E_DEVICE_INVALIDATED from now on. */
struct engine_device_gone_params
{
    UINT64 engine;
    HRESULT result;
};

struct engine_get_period_params
{
    UINT64 engine;
    HRESULT result;
    UINT32 period_frames;                   /* the period the device runs at now */
};

#define MMDEVAPI_STREAM_AUTOCONVERT 0x1     /* rate and channels may differ from the mix: convert */
#define MMDEVAPI_STREAM_RATEADJUST  0x2     /* the input rate may change while playing */

struct stream_create_params
{
    UINT64 engine;
    struct endpoint_format format;          /* the program's */
    UINT32 flags;                           /* MMDEVAPI_STREAM_* */
    UINT32 buffer_frames;                   /* ring size in frames of format */
    UINT32 period_frames;                   /* the period asked, in the engine's frames; 0: the default */
    HRESULT result;
    UINT64 stream;
    struct stream_shared *shared;           /* the ring, in memory the PE side may touch */
};

/* The calls that take only a stream. */
struct stream_params
{
    UINT64 stream;
    HRESULT result;
};

/* unix_stream_move: a stream into another engine of its kind (render, or capture with packets as
 * long), with its ring, event, volumes and state: it follows the default endpoint. */
struct stream_move_params
{
    UINT64 stream;
    UINT64 engine;
    HRESULT result;
};

struct stream_set_event_params
{
    UINT64 stream;
    UINT64 event;                           /* a HANDLE of the program's, or 0 */
    HRESULT result;
};

struct stream_set_rate_params
{
    UINT64 stream;
    UINT64 rate_millihz;                    /* the new input rate, in thousandths of a frame a second */
    HRESULT result;
};

#define MMDEVAPI_ANCESTORS_MAX 8

/* The program the backend's streams carry for the desktop's mixer: the name people see (a session's
 * display name, else the executable's), UTF-8, and the Windows process id. For streams opened
 * from then on. The Windows ids of its parent, the parent's parent and so on (as many as were
 * still running, at most MMDEVAPI_ANCESTORS_MAX) put its streams in their process trees for other
 * processes' process loopback. */
struct set_program_params
{
    char name[MMDEVAPI_DEVICE_NAME_MAX];
    UINT32 process_id;
    UINT32 ancestor_count;
    UINT32 ancestors[MMDEVAPI_ANCESTORS_MAX];
    HRESULT result;
};

/* An endpoint's volume as the system's mixer holds it. Levels are on the cubic scale mixers show
 * (PulseAudio's percentages, alsamixer's bars): amplitude = level^3, so level = 10^(dB / 60),
 * 1.0 = 0 dB. IAudioEndpointVolume's scalar is this level; its dB follow from it. */
struct endpoint_volume
{
    UINT32 channels;
    UINT32 mute;
    float levels[MMDEVAPI_MAX_CHANNELS];
    /* Filled by the Linux side on a get, ignored on a set: */
    float min_db, max_db, increment_db;     /* the range the device's steps cover */
    UINT32 step_count;                      /* IAudioEndpointVolume's steps: 101 without hardware steps */
    UINT32 hardware;                        /* ENDPOINT_HARDWARE_SUPPORT_* the device does itself */
};

/* get: volume.channels comes in as the endpoint's channel count (endpoint_info.format), for a device
 * without a control of its own, whose volume the engine applies; set: channels must be what a get
 * reported. */
struct endpoint_volume_params
{
    char key[MMDEVAPI_DEVICE_KEY_MAX];      /* the endpoint, as endpoint_info.key */
    UINT32 flow;
    struct endpoint_volume volume;          /* get: output; set: input */
    HRESULT result;
};

#define MMDEVAPI_SESSIONS_MAX 32

/* Another program's session on an endpoint: its streams there, as the backend (the desktop's
 * mixer) shows them. */
struct endpoint_session
{
    UINT32 process_id;                      /* the Unix process id */
    UINT32 windows_process_id;              /* a Wine program's own, else 0 */
    UINT32 active;                          /* one of its streams plays (records) */
    UINT32 mute;
    float volume;                           /* its streams' volume, amplitude 0..1 */
    char name[MMDEVAPI_DEVICE_NAME_MAX];    /* UTF-8, as the mixer names it */
};

/* unix_endpoint_sessions: the other processes' sessions on the endpoint, up to
 * MMDEVAPI_SESSIONS_MAX; count 0 where the backend shows none. */
struct endpoint_sessions_params
{
    char key[MMDEVAPI_DEVICE_KEY_MAX];      /* the endpoint, as endpoint_info.key */
    UINT32 flow;
    UINT32 count;
    struct endpoint_session sessions[MMDEVAPI_SESSIONS_MAX];
    HRESULT result;
};

/* unix_endpoint_set_session_volume: the volume and mute of another process's streams on the
 * endpoint, its session's (ISimpleAudioVolume). */
struct endpoint_session_volume_params
{
    char key[MMDEVAPI_DEVICE_KEY_MAX];      /* the endpoint, as endpoint_info.key */
    UINT32 flow;
    UINT32 process_id;                      /* the Unix one, as endpoint_session.process_id */
    float volume;                           /* amplitude, 0..1 */
    UINT32 mute;
    HRESULT result;
};

/* What endpoints_watch_params.changes reports. */
#define MMDEVAPI_CHANGED_VOLUME     0x1     /* an endpoint's volume or mute, by anyone */
#define MMDEVAPI_CHANGED_ENDPOINTS  0x2     /* an endpoint came or went, or a default changed */

/* The long-running call of our watch thread (a Wine thread the PE side creates): returns S_OK
 * once something of changes may have changed, S_FALSE with changes 0 after timeout_ms. */
struct endpoints_watch_params
{
    UINT32 timeout_ms;
    UINT32 changes;                         /* output: MMDEVAPI_CHANGED_* */
    HRESULT result;
};

/* The peaks of the engine's mix (IAudioMeterInformation): per channel, the largest absolute sample
 * of the last period handed to the device (0 when none is playing). */
struct engine_get_peaks_params
{
    UINT64 engine;
    HRESULT result;
    UINT32 channels;                        /* the mix's */
    float peaks[MMDEVAPI_MAX_CHANNELS];
};

#endif
