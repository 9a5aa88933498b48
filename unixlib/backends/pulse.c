/* The PulseAudio backend (and PipeWire through pipewire-pulse). Only pa_mainloop is used, driven
 * from the calling Wine thread: the threaded main loop's own thread must never call into Wine. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pulse/pulseaudio.h>
#include <windef.h>
#include <winbase.h>
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <endpointvolume.h>
#include <wine/debug.h>

#include "backend.h"
#include "engine/channels.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

/* How long a server may take to answer before we treat it as gone. */
#define PULSE_TIMEOUT_USEC (2 * 1000 * 1000)
/* The total latency a stream asks for, in periods, and at least the least lead and 10 ms: the
 * server sets its sink's latency from it, and a sink run at a few ms drops out on a busy machine. */
#define PULSE_TARGET_PERIODS 3
/* The least lead, whatever the period: the engine thread stands still while the wineserver
 * serves its NtSetEvent, and Wine's server stops for several ms now and then (saving the
 * registry); with less than 20 ms queued a small period ran dry about once in 20 s here. */
#define PULSE_MIN_LEAD_MS 20
/* The same on PipeWire's PulseAudio server, which reports no sink latency (what the graph holds
 * after it read a stream is not counted), moves its read index a quantum or two at a time and
 * starts reading a stream some 30 ms after it was uncorked: with 20 ms queued its null sink
 * played a hole in 7 of 10 of e2e's event-driven runs, with 30 ms in 3 of 10, with 40 ms in none. */
#define PIPEWIRE_PULSE_MIN_LEAD_MS 40
/* How long silence plays at most to see how much PipeWire's graph reads at a time. */
#define PIPEWIRE_PULSE_PROBE_MS 250

struct pulse_connection
{
    pa_mainloop *loop;
    pa_context *context;
    pa_usec_t deadline;
};

/* Runs the main loop until done() holds or the deadline passes. */
static BOOL pulse_run_until(struct pulse_connection *conn, BOOL (*done)(void *), void *arg)
{
    while (!done(arg))
    {
        pa_usec_t now = pa_rtclock_now();
        if (now >= conn->deadline) return FALSE;
        if (pa_mainloop_prepare(conn->loop, conn->deadline - now) < 0
            || pa_mainloop_poll(conn->loop) < 0 || pa_mainloop_dispatch(conn->loop) < 0)
            return FALSE;
    }
    return TRUE;
}

static BOOL context_settled(void *arg)
{
    pa_context_state_t state = pa_context_get_state(arg);
    return state == PA_CONTEXT_READY || !PA_CONTEXT_IS_GOOD(state);
}

static void pulse_disconnect(struct pulse_connection *conn)
{
    if (conn->context)
    {
        pa_context_disconnect(conn->context);
        pa_context_unref(conn->context);
    }
    if (conn->loop) pa_mainloop_free(conn->loop);
    memset(conn, 0, sizeof(*conn));
}

/* Connects as the application called name (PulseAudio's application.name). */
static BOOL pulse_connect(struct pulse_connection *conn, const char *name)
{
    memset(conn, 0, sizeof(*conn));
    conn->deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    if (!(conn->loop = pa_mainloop_new())) return FALSE;
    if (!(conn->context = pa_context_new(pa_mainloop_get_api(conn->loop), name)))
        goto fail;
    /* Never spawn a server: a user without one has chosen not to run one. */
    if (pa_context_connect(conn->context, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
        goto fail;
    if (pulse_run_until(conn, context_settled, conn->context)
        && pa_context_get_state(conn->context) == PA_CONTEXT_READY)
        return TRUE;
fail:
    WINE_TRACE("no PulseAudio server: %s\n",
               conn->context ? pa_strerror(pa_context_errno(conn->context)) : "out of memory");
    pulse_disconnect(conn);
    return FALSE;
}

static BOOL operation_done(void *arg)
{
    return pa_operation_get_state(arg) != PA_OPERATION_RUNNING;
}

/* Waits for an operation started on conn; FALSE if it could not run to its end. */
static BOOL pulse_complete(struct pulse_connection *conn, pa_operation *op)
{
    BOOL ok;

    if (!op) return FALSE;
    ok = pulse_run_until(conn, operation_done, op) && pa_operation_get_state(op) == PA_OPERATION_DONE;
    if (!ok) pa_operation_cancel(op);
    pa_operation_unref(op);
    return ok;
}

static BOOL pulse_probe(void)
{
    struct pulse_connection conn;

    if (!pulse_connect(&conn, "Wine mmdevapi")) return FALSE;
    pulse_disconnect(&conn);
    return TRUE;
}

static void set_sample_format(struct endpoint_format *format, pa_sample_format_t sample)
{
    format->is_float = FALSE;
    switch (sample)
    {
    case PA_SAMPLE_U8: format->bits = format->valid_bits = 8; break;
    case PA_SAMPLE_S24LE: format->bits = format->valid_bits = 24; break;
    case PA_SAMPLE_S24_32LE: format->bits = 32; format->valid_bits = 24; break;
    case PA_SAMPLE_S32LE: format->bits = format->valid_bits = 32; break;
    case PA_SAMPLE_FLOAT32LE: format->bits = format->valid_bits = 32; format->is_float = TRUE; break;
    /* The server converts anything else (big-endian, A-law, mu-law) from 16 bits for us. */
    default: format->bits = format->valid_bits = 16; break;
    }
}

/* Windows' speakers in the order of their mask bits, which is the order of a frame's channels. */
static const struct
{
    UINT32 speaker;
    pa_channel_position_t position;
}
speakers[] =
{
    { SPEAKER_FRONT_LEFT, PA_CHANNEL_POSITION_FRONT_LEFT },
    { SPEAKER_FRONT_RIGHT, PA_CHANNEL_POSITION_FRONT_RIGHT },
    { SPEAKER_FRONT_CENTER, PA_CHANNEL_POSITION_FRONT_CENTER },
    { SPEAKER_LOW_FREQUENCY, PA_CHANNEL_POSITION_LFE },
    { SPEAKER_BACK_LEFT, PA_CHANNEL_POSITION_REAR_LEFT },
    { SPEAKER_BACK_RIGHT, PA_CHANNEL_POSITION_REAR_RIGHT },
    { SPEAKER_FRONT_LEFT_OF_CENTER, PA_CHANNEL_POSITION_FRONT_LEFT_OF_CENTER },
    { SPEAKER_FRONT_RIGHT_OF_CENTER, PA_CHANNEL_POSITION_FRONT_RIGHT_OF_CENTER },
    { SPEAKER_BACK_CENTER, PA_CHANNEL_POSITION_REAR_CENTER },
    { SPEAKER_SIDE_LEFT, PA_CHANNEL_POSITION_SIDE_LEFT },
    { SPEAKER_SIDE_RIGHT, PA_CHANNEL_POSITION_SIDE_RIGHT },
    { SPEAKER_TOP_CENTER, PA_CHANNEL_POSITION_TOP_CENTER },
    { SPEAKER_TOP_FRONT_LEFT, PA_CHANNEL_POSITION_TOP_FRONT_LEFT },
    { SPEAKER_TOP_FRONT_CENTER, PA_CHANNEL_POSITION_TOP_FRONT_CENTER },
    { SPEAKER_TOP_FRONT_RIGHT, PA_CHANNEL_POSITION_TOP_FRONT_RIGHT },
    { SPEAKER_TOP_BACK_LEFT, PA_CHANNEL_POSITION_TOP_REAR_LEFT },
    { SPEAKER_TOP_BACK_CENTER, PA_CHANNEL_POSITION_TOP_REAR_CENTER },
    { SPEAKER_TOP_BACK_RIGHT, PA_CHANNEL_POSITION_TOP_REAR_RIGHT },
};

static UINT32 speaker_of_position(pa_channel_position_t position)
{
    size_t i;

    if (position == PA_CHANNEL_POSITION_MONO) return SPEAKER_FRONT_CENTER;
    for (i = 0; i < ARRAY_SIZE(speakers); i++)
        if (speakers[i].position == position) return speakers[i].speaker;
    return 0;
}

/* Windows describes a layout by a mask, one bit a channel; a map that a mask cannot say (aux
 * channels, a position twice) gets the usual layout for its channel count. */
static UINT32 channel_mask_of_map(const pa_channel_map *map)
{
    UINT32 mask = 0, speaker;
    unsigned int i;

    for (i = 0; i < map->channels; i++)
    {
        speaker = speaker_of_position(map->map[i]);
        if (!speaker || (mask & speaker)) return channels_layout(map->channels, 0);
        mask |= speaker;
    }
    return mask;
}

struct endpoint_list
{
    enum mmdevapi_flow flow;
    struct endpoint_info *endpoints;
    UINT32 capacity;
    UINT32 count;
    char default_name[MMDEVAPI_DEVICE_KEY_MAX];
};

static void add_endpoint(struct endpoint_list *list, const char *key, const char *description,
                         const pa_sample_spec *spec, const pa_channel_map *map, const pa_proplist *props)
{
    struct endpoint_info *info;

    if (list->count == list->capacity) return;
    info = &list->endpoints[list->count++];
    memset(info, 0, sizeof(*info));
    endpoint_set_text(info->key, sizeof(info->key), key);
    endpoint_set_text(info->name, sizeof(info->name), description ? description : key);
    info->form_factor = endpoint_form_factor(pa_proplist_gets(props, PA_PROP_DEVICE_FORM_FACTOR), list->flow);
    info->format.rate = spec->rate;
    info->format.channels = spec->channels;
    info->format.channel_mask = channel_mask_of_map(map);
    set_sample_format(&info->format, spec->format);
}

static void on_sink(pa_context *context, const pa_sink_info *sink, int eol, void *arg)
{
    (void)context;
    if (eol <= 0 && sink)
        add_endpoint(arg, sink->name, sink->description, &sink->sample_spec, &sink->channel_map,
                     sink->proplist);
}

static void on_source(pa_context *context, const pa_source_info *source, int eol, void *arg)
{
    (void)context;
    /* A sink's monitor is not a microphone: loopback capture reaches it through the render endpoint. */
    if (eol <= 0 && source && source->monitor_of_sink == PA_INVALID_INDEX)
        add_endpoint(arg, source->name, source->description, &source->sample_spec, &source->channel_map,
                     source->proplist);
}

static void on_server_info(pa_context *context, const pa_server_info *info, void *arg)
{
    struct endpoint_list *list = arg;
    const char *name;

    (void)context;
    if (!info) return;
    name = list->flow == MMDEVAPI_RENDER ? info->default_sink_name : info->default_source_name;
    endpoint_set_text(list->default_name, sizeof(list->default_name), name);
}

static void on_server_name(pa_context *context, const pa_server_info *info, void *arg)
{
    (void)context;
    *(BOOL *)arg = info && info->server_name && strstr(info->server_name, "PipeWire");
}

/* Whether the server is PipeWire's. */
static BOOL pulse_server_is_pipewire(struct pulse_connection *conn)
{
    BOOL pipewire = FALSE;

    conn->deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    pulse_complete(conn, pa_context_get_server_info(conn->context, on_server_name, &pipewire));
    return pipewire;
}

static UINT32 pulse_list_endpoints(enum mmdevapi_flow flow, struct endpoint_info *endpoints, UINT32 capacity,
                                   UINT32 *default_index)
{
    struct endpoint_list list = { .flow = flow, .endpoints = endpoints, .capacity = capacity };
    struct pulse_connection conn;
    pa_operation *op;
    UINT32 i;

    *default_index = MMDEVAPI_NO_DEFAULT;
    if (!pulse_connect(&conn, "Wine mmdevapi")) return 0;
    if (flow == MMDEVAPI_RENDER)
        op = pa_context_get_sink_info_list(conn.context, on_sink, &list);
    else
        op = pa_context_get_source_info_list(conn.context, on_source, &list);
    if (pulse_complete(&conn, op))
        pulse_complete(&conn, pa_context_get_server_info(conn.context, on_server_info, &list));
    pulse_disconnect(&conn);

    for (i = 0; i < list.count; i++)
        if (!strcmp(list.endpoints[i].key, list.default_name)) *default_index = i;
    /* The server's default may be one we do not list (a monitor): the first endpoint stands in. */
    if (*default_index == MMDEVAPI_NO_DEFAULT && list.count) *default_index = 0;
    return list.count;
}

/* The layout a Windows mask describes, channel by channel: the mask's speakers in bit order, then
 * aux channels for any the mask leaves without a speaker. A lone channel is mono, which the server
 * spreads to every speaker rather than to the centre only. */
static void channel_map_of_mask(UINT32 mask, UINT32 channels, pa_channel_map *map)
{
    unsigned int count = 0, i;

    pa_channel_map_init(map);
    map->channels = channels;
    if (!mask) mask = channels_layout(channels, 0);
    if (channels == 1 && (!mask || mask == SPEAKER_FRONT_CENTER))
    {
        map->map[0] = PA_CHANNEL_POSITION_MONO;
        return;
    }
    for (i = 0; i < ARRAY_SIZE(speakers) && count < channels; i++)
        if (mask & speakers[i].speaker) map->map[count++] = speakers[i].position;
    for (i = count; i < channels; i++)
        map->map[i] = PA_CHANNEL_POSITION_AUX0 + (i - count);
}

/* A stream's property: the Windows process id of the program that plays or records
 * (application.process.id is the Unix one). */
#define PULSE_PROP_WINDOWS_PROCESS_ID "application.process.windows_id"
/* And the Windows ids of its ancestors, separated by spaces: it is in their process trees. */
#define PULSE_PROP_WINDOWS_ANCESTORS "application.process.windows_ancestors"

struct pulse_process_loopback;

enum pulse_stream_state
{
    PULSE_STOPPED,      /* corked and flushed; writes fill the queue for the next start */
    PULSE_FILLING,      /* started, still corked until the queue holds fill_frames */
    PULSE_PLAYING,      /* uncorked: the server asks for what it plays */
};

/* One engine thread's stream, with its own connection and main loop: streams share nothing, so
 * no lock is taken and no thread of libpulse's own runs. */
struct pulse_stream
{
    struct pulse_connection conn;
    pa_stream *stream;
    UINT32 rate;
    UINT32 frame_bytes;
    UINT32 period_frames;
    UINT32 fill_frames;     /* queued before uncorking: the server's tlength, whole periods */
    enum pulse_stream_state state;
    UINT64 written;         /* frames written since the last stop */
    UINT64 heard;           /* of those, the most that were reported heard */
    UINT64 underruns;
    pa_operation *timing;   /* the last timing request */
    UINT64 restarted;       /* the underruns after which the stream was started anew */
    /* pipewire-pulse: its read index (in frames, less the sink's latency) moves a quantum of the
     * graph at a time, sometimes a quantum late, and a timing reply stamps it with the reply's
     * time, not the cycle's: libpulse's interpolation of that ran up to 15 ms ahead of the read
     * index and 0.4 % fast. Each reply says instead that at its time at least the read index less
     * a quantum was heard (the quantum read last plays from its cycle on); that bound goes on in
     * real time, less PIPEWIRE_PULSE_DRIFT, and the next reply raises it. */
    UINT32 quantum;         /* 0: not pipewire-pulse */
    BOOL bounded;           /* low and high hold since the last start */
    BOOL moving;            /* the last reply said the server plays the stream */
    double low, high;       /* the server's index heard at least and at most... */
    pa_usec_t bounds_time;  /* ...at this time (pa_rtclock_now) */
    struct timeval seen;    /* the timestamp of the last reply taken in */
    /* Capture: the fragment pa_stream_peek gave (data NULL for a hole), and the bytes of it read. */
    BOOL capture;
    const BYTE *fragment;
    size_t fragment_bytes, fragment_read;
    /* Process loopback: the streams summed into what is read (this one, the monitor's, paces). */
    struct pulse_process_loopback *process;
};

static struct pulse_stream *pulse_stream_from(struct backend_stream *stream)
{
    return (struct pulse_stream *)stream;
}

/* pa_mainloop's poll: a signal (Wine sends some) is not an error of the loop. */
static int pulse_poll(struct pollfd *fds, unsigned long count, int timeout, void *arg)
{
    return backend_poll(fds, count, timeout < 0 ? -1 : timeout * 1000000ll);
}

static BOOL stream_settled(void *arg)
{
    pa_stream_state_t state = pa_stream_get_state(arg);
    return state == PA_STREAM_READY || !PA_STREAM_IS_GOOD(state);
}

/* FALSE once the server, the connection or the sink is gone: nothing will play again. */
static BOOL pulse_stream_alive(struct pulse_stream *stream)
{
    return pa_context_get_state(stream->conn.context) == PA_CONTEXT_READY
        && pa_stream_get_state(stream->stream) == PA_STREAM_READY;
}

/* Runs what is ready without waiting: sends what was written, takes in the server's messages
 * (requests, timing replies). The engine's thread does this once a period, not on each message. */
static void pulse_stream_dispatch(struct pulse_stream *stream)
{
    unsigned int i;

    /* libpulse polls only once it has no deferred work (the packets written): a second turn
     * takes in what the server sent, or notices it is gone. */
    for (i = 0; i < 4 && pa_mainloop_iterate(stream->conn.loop, 0, NULL) > 0; i++) {}
}

/* Whether the server put the stream on the device named key. */
static BOOL pulse_stream_on(struct pulse_stream *stream, const char *key)
{
    const char *device = pa_stream_get_device_name(stream->stream);

    return device && !strcmp(device, key);
}

static void on_underflow(pa_stream *pa_stream, void *arg)
{
    struct pulse_stream *stream = arg;

    (void)pa_stream;
    stream->underruns++;
    WINE_WARN("underrun %llu on stream %p\n", (unsigned long long)stream->underruns, stream);
}

static void on_moved(pa_stream *pa_stream, void *arg)
{
    WINE_TRACE("stream %p moved to %s\n", arg, pa_stream_get_device_name(pa_stream));
}

/* Asks for a total latency (queue and sink) of tlength with the server's requests a period apart,
 * then makes sure that what the server granted covers one period beyond its own request size (a
 * PipeWire quantum): the engine writes a period at a time, and the server must never run dry
 * between two of our writes. */
static BOOL pulse_stream_set_target(struct pulse_stream *stream)
{
    const pa_buffer_attr *attr = pa_stream_get_buffer_attr(stream->stream);
    pa_buffer_attr want;
    UINT32 tlength, least;

    if (!attr) return FALSE;
    tlength = attr->tlength / stream->frame_bytes;
    least = attr->minreq / stream->frame_bytes + stream->period_frames;
    if (tlength < least)
    {
        want = *attr;
        want.tlength = least * stream->frame_bytes;
        want.prebuf = (UINT32)-1;
        stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
        if (!pulse_complete(&stream->conn, pa_stream_set_buffer_attr(stream->stream, &want, NULL, NULL))
            || !(attr = pa_stream_get_buffer_attr(stream->stream)))
            return FALSE;
        tlength = attr->tlength / stream->frame_bytes;
    }
    stream->fill_frames = (tlength + stream->period_frames - 1) / stream->period_frames * stream->period_frames;
    WINE_TRACE("%s: tlength %u minreq %u prebuf %u maxlength %u frames, fill %u\n",
               pa_stream_get_device_name(stream->stream), attr->tlength / stream->frame_bytes,
               attr->minreq / stream->frame_bytes, attr->prebuf / stream->frame_bytes,
               attr->maxlength / stream->frame_bytes, stream->fill_frames);
    return TRUE;
}

/* Process loopback's part of a stream (below). */
static void pulse_process_loopback_free(struct pulse_stream *stream);
static void pulse_process_loopback_run(struct pulse_stream *stream, BOOL running);
static void pulse_process_loopback_update(struct pulse_stream *stream);
static void pulse_process_loopback_sum(struct pulse_stream *stream, float *frames, UINT32 count);

static void pulse_stream_close(struct backend_stream *iface)
{
    struct pulse_stream *stream = pulse_stream_from(iface);

    if (!stream) return;
    pulse_process_loopback_free(stream);
    if (stream->timing) pa_operation_unref(stream->timing);
    if (stream->stream)
    {
        if (PA_STREAM_IS_GOOD(pa_stream_get_state(stream->stream))) pa_stream_disconnect(stream->stream);
        pa_stream_unref(stream->stream);
    }
    pulse_disconnect(&stream->conn);
    free(stream);
}

/* Records a source, or for loopback the sink's monitor, whose name pulse gives as the sink's own
 * followed by ".monitor" (PipeWire's pulse server too). The server hands fragments of a period. */
static HRESULT pulse_stream_connect_record(struct pulse_stream *stream, const char *key, enum mmdevapi_flow flow,
                                           struct backend_stream **out, UINT32 *lead_frames)
{
    const pa_stream_flags_t flags = PA_STREAM_START_CORKED | PA_STREAM_INTERPOLATE_TIMING
        | PA_STREAM_AUTO_TIMING_UPDATE | PA_STREAM_ADJUST_LATENCY;
    char device[MMDEVAPI_DEVICE_KEY_MAX + 8];
    pa_buffer_attr attr;

    snprintf(device, sizeof(device), flow == MMDEVAPI_LOOPBACK ? "%s.monitor" : "%s", key);
    stream->capture = TRUE;
    attr.maxlength = (UINT32)-1;
    attr.tlength = attr.prebuf = attr.minreq = (UINT32)-1;
    attr.fragsize = stream->period_frames * stream->frame_bytes;
    stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    if (pa_stream_connect_record(stream->stream, device, &attr, flags) < 0
        || !pulse_run_until(&stream->conn, stream_settled, stream->stream) || !pulse_stream_alive(stream))
    {
        WINE_WARN("cannot record %s: %s\n", device, pa_strerror(pa_context_errno(stream->conn.context)));
        pulse_stream_close((struct backend_stream *)stream);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    *out = (struct backend_stream *)stream;
    *lead_frames = 0;
    return S_OK;
}

/* How much slower than real time PipeWire's graph may run: a bound a reply set goes on at this
 * much less than the rate, so that it holds where the device's clock drifts (a few hundred ppm at
 * worst) until a reply raises it. */
#define PIPEWIRE_PULSE_DRIFT 0.001

/* PipeWire's server reads a stream a graph quantum at a time, and users force quanta far above
 * what a stream asks for (clock.force-quantum): 2048 frames is 43 ms. Its timing reports do not
 * say the quantum; silence played for a moment shows it, as the smallest step of the read index.
 * Takes 40 to 150 ms. Returns the step in frames, 0 if none was seen. */
static UINT32 pipewire_burst;

static UINT32 pulse_stream_read_burst(struct pulse_stream *stream)
{
    const size_t bytes = (size_t)stream->rate * PIPEWIRE_PULSE_PROBE_MS / 1000 * stream->frame_bytes;
    UINT64 last = 0, step, burst = 0;
    const pa_timing_info *timing;
    pa_usec_t deadline;
    unsigned int steps = 0;
    void *silence;

    if (!(silence = calloc(1, bytes))) return 0;
    stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    if (pa_stream_write(stream->stream, silence, bytes, NULL, 0, PA_SEEK_RELATIVE) < 0
        || !pulse_complete(&stream->conn, pa_stream_cork(stream->stream, 0, NULL, NULL)))
        steps = 3;
    free(silence);
    /* The first read fills the graph; the quantum shows from the second. */
    for (deadline = pa_rtclock_now() + PIPEWIRE_PULSE_PROBE_MS * 1000; steps < 3 && pa_rtclock_now() < deadline;)
    {
        stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
        if (!pulse_complete(&stream->conn, pa_stream_update_timing_info(stream->stream, NULL, NULL))) break;
        timing = pa_stream_get_timing_info(stream->stream);
        if (timing && !timing->read_index_corrupt && timing->read_index > 0 && (UINT64)timing->read_index > last)
        {
            step = (timing->read_index - last) / stream->frame_bytes;
            if (last && steps++) burst = burst ? min(burst, step) : step;
            last = timing->read_index;
        }
        backend_poll(NULL, 0, 2000000);
    }
    stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    pulse_complete(&stream->conn, pa_stream_cork(stream->stream, 1, NULL, NULL));
    pulse_complete(&stream->conn, pa_stream_flush(stream->stream, NULL, NULL));
    WINE_TRACE("PipeWire reads %llu frames at a time\n", (unsigned long long)burst);
    return burst;
}

static HRESULT pulse_stream_open(const char *key, enum mmdevapi_flow flow, const struct endpoint_format *format,
                                 UINT32 period_frames, struct backend_stream **out, UINT32 *lead_frames)
{
    const pa_stream_flags_t flags = PA_STREAM_START_CORKED | PA_STREAM_INTERPOLATE_TIMING
        | PA_STREAM_AUTO_TIMING_UPDATE | PA_STREAM_ADJUST_LATENCY;
    struct pulse_stream *stream;
    char name[MMDEVAPI_DEVICE_NAME_MAX], ancestry[MMDEVAPI_ANCESTORS_MAX * 11];
    UINT32 process_id, ancestors[MMDEVAPI_ANCESTORS_MAX], ancestor_count, i;
    pa_sample_spec spec;
    pa_channel_map map;
    pa_buffer_attr attr;
    pa_proplist *props;
    UINT32 min_lead_ms, lead, burst;
    BOOL pipewire;
    BOOL ok;

    if (!out || !lead_frames) return E_INVALIDARG;
    *out = NULL;
    if (!key || !format || (flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE && flow != MMDEVAPI_LOOPBACK)
        || !format->is_float || format->bits != 32)
        return E_INVALIDARG;
    spec.format = PA_SAMPLE_FLOAT32LE;
    spec.rate = format->rate;
    spec.channels = format->channels;
    if (!pa_sample_spec_valid(&spec) || !period_frames || period_frames > spec.rate) return E_INVALIDARG;
    channel_map_of_mask(format->channel_mask, spec.channels, &map);

    if (!(stream = calloc(1, sizeof(*stream)))) return E_OUTOFMEMORY;
    stream->rate = spec.rate;
    stream->frame_bytes = pa_frame_size(&spec);
    stream->period_frames = period_frames;
    backend_program(name, sizeof(name), &process_id);
    if (!name[0]) backend_process_name(name, sizeof(name));
    if (!pulse_connect(&stream->conn, name))
    {
        free(stream);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    pa_mainloop_set_poll_func(stream->conn.loop, pulse_poll, stream);

    if (!(props = pa_proplist_new())) goto oom;
    /* One stream carries the mix of every client of this endpoint in the process, whatever their
     * categories: no media.role, which would have the server route or duck the whole mix by one
     * client's kind. application.process.id comes from the connection's properties. */
    pa_proplist_sets(props, PA_PROP_MEDIA_NAME, name);
    pa_proplist_sets(props, PA_PROP_APPLICATION_NAME, name);
    pa_proplist_sets(props, PA_PROP_APPLICATION_ICON_NAME, "wine");
    /* The Windows process id, which other Wine processes know it by (process loopback). */
    if (process_id) pa_proplist_setf(props, PULSE_PROP_WINDOWS_PROCESS_ID, "%u", process_id);
    if ((ancestor_count = backend_program_ancestors(ancestors, ARRAY_SIZE(ancestors))))
    {
        for (i = 0, ancestry[0] = 0; i < ancestor_count; i++)
            snprintf(ancestry + strlen(ancestry), sizeof(ancestry) - strlen(ancestry), "%s%u", i ? " " : "",
                     ancestors[i]);
        pa_proplist_sets(props, PULSE_PROP_WINDOWS_ANCESTORS, ancestry);
    }
    stream->stream = pa_stream_new_with_proplist(stream->conn.context, name, &spec, &map, props);
    pa_proplist_free(props);
    if (!stream->stream) goto oom;
    pa_stream_set_underflow_callback(stream->stream, on_underflow, stream);
    pa_stream_set_moved_callback(stream->stream, on_moved, stream);

    if (flow != MMDEVAPI_RENDER) return pulse_stream_connect_record(stream, key, flow, out, lead_frames);
    attr.maxlength = (UINT32)-1;
    pipewire = pulse_server_is_pipewire(&stream->conn);
    min_lead_ms = pipewire ? PIPEWIRE_PULSE_MIN_LEAD_MS : PULSE_MIN_LEAD_MS;
    attr.tlength = max(PULSE_TARGET_PERIODS * period_frames, spec.rate * (min_lead_ms + 10) / 1000)
                   * stream->frame_bytes;
    attr.prebuf = (UINT32)-1;
    attr.minreq = period_frames * stream->frame_bytes;
    attr.fragsize = (UINT32)-1;
    stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    /* PipeWire's server plays a stream whose sink is gone on its default sink instead: the
     * endpoint is gone all the same. */
    ok = pa_stream_connect_playback(stream->stream, key, &attr, flags, NULL, NULL) >= 0
        && pulse_run_until(&stream->conn, stream_settled, stream->stream)
        && pulse_stream_alive(stream) && pulse_stream_on(stream, key) && pulse_stream_set_target(stream);
    if (!ok)
    {
        WINE_WARN("cannot play on %s: %s\n", key, pa_strerror(pa_context_errno(stream->conn.context)));
        pulse_stream_close((struct backend_stream *)stream);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    lead = max(stream->fill_frames - stream->period_frames, spec.rate * min_lead_ms / 1000);
    /* Beyond a burst of the graph, a period and 10 ms more of the engine thread's wake-ups. The
     * graph's quantum is seen once a process: a user who forces another one while it plays hears
     * holes until the program opens its device again. */
    if (pipewire && !(burst = __atomic_load_n(&pipewire_burst, __ATOMIC_RELAXED))
        && (burst = pulse_stream_read_burst(stream)))
        __atomic_store_n(&pipewire_burst, burst, __ATOMIC_RELAXED);
    if (pipewire && burst) lead = max(lead, burst + period_frames + spec.rate / 100);
    /* Without a quantum seen, what the least stream asks for (its minreq) stands in. */
    if (pipewire) stream->quantum = burst ? burst : pa_stream_get_buffer_attr(stream->stream)->minreq / stream->frame_bytes;
    *out = (struct backend_stream *)stream;
    *lead_frames = (lead + period_frames - 1) / period_frames * period_frames;
    return S_OK;

oom:
    pulse_stream_close((struct backend_stream *)stream);
    return E_OUTOFMEMORY;
}

/* Uncorks once the queue holds enough to play through the server's scheduling. */
static void pulse_stream_play_if_filled(struct pulse_stream *stream)
{
    pa_operation *op;

    if (stream->state != PULSE_FILLING || stream->written < stream->fill_frames) return;
    if ((op = pa_stream_cork(stream->stream, 0, NULL, NULL))) pa_operation_unref(op);
    stream->state = PULSE_PLAYING;
    pulse_stream_dispatch(stream);
}

static HRESULT pulse_stream_start(struct backend_stream *iface)
{
    struct pulse_stream *stream = pulse_stream_from(iface);

    if (!stream) return E_INVALIDARG;
    if (!pulse_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (stream->state == PULSE_STOPPED) stream->state = PULSE_FILLING;
    pulse_stream_play_if_filled(stream);
    pulse_process_loopback_run(stream, TRUE);
    return S_OK;
}

/* Capture: lets the server reuse the fragment we read from. */
static void pulse_stream_drop_fragment(struct pulse_stream *stream)
{
    if (stream->fragment_bytes) pa_stream_drop(stream->stream);
    stream->fragment = NULL;
    stream->fragment_bytes = stream->fragment_read = 0;
}

static HRESULT pulse_stream_stop(struct backend_stream *iface)
{
    struct pulse_stream *stream = pulse_stream_from(iface);
    pa_operation *op;

    if (!stream) return E_INVALIDARG;
    if (!pulse_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    pulse_stream_drop_fragment(stream);
    pulse_process_loopback_run(stream, FALSE);
    if ((op = pa_stream_cork(stream->stream, 1, NULL, NULL))) pa_operation_unref(op);
    /* The flush is answered after the cork: once it is, the server plays nothing of ours. */
    stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    if (!pulse_complete(&stream->conn, pa_stream_flush(stream->stream, NULL, NULL)))
        return AUDCLNT_E_DEVICE_INVALIDATED;
    stream->state = PULSE_STOPPED;
    stream->written = stream->heard = 0;
    stream->bounded = FALSE;
    return S_OK;
}

/* Asks for the server's timing once a period: left to itself, libpulse spaces its requests out
 * to 1.5 s, and interpolating over that long let the position stray by up to 0.3 ms here. One
 * request is in flight at a time. */
static void pulse_stream_update_timing(struct pulse_stream *stream)
{
    if (stream->state != PULSE_PLAYING) return;
    if (stream->timing)
    {
        if (pa_operation_get_state(stream->timing) == PA_OPERATION_RUNNING) return;
        pa_operation_unref(stream->timing);
    }
    stream->timing = pa_stream_update_timing_info(stream->stream, NULL, NULL);
}

static HRESULT pulse_stream_wait(struct backend_stream *iface, int wake_fd, INT64 timeout_ns)
{
    struct pulse_stream *stream = pulse_stream_from(iface);
    struct pollfd wake = { .fd = wake_fd, .events = POLLIN };

    if (!stream) return E_INVALIDARG;
    /* What was written and the timing request go out now; the server's answers wait in the
     * socket for the next period's stream_delay. A stopped stream asks for nothing: libpulse's
     * own timers (its timing updates, at growing intervals) wait for the next start. */
    pulse_stream_update_timing(stream);
    pulse_stream_dispatch(stream);
    if (!pulse_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    backend_poll(&wake, wake_fd >= 0, timeout_ns);
    return S_OK;
}

static HRESULT pulse_stream_write(struct backend_stream *iface, const float *frames, UINT32 count)
{
    struct pulse_stream *stream = pulse_stream_from(iface);

    if (!stream || (!frames && count)) return E_INVALIDARG;
    if (!pulse_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (!count) return S_OK;
    /* The server takes more than it asks for (up to maxlength): the engine's schedule decides. */
    if (pa_stream_write(stream->stream, frames, (size_t)count * stream->frame_bytes, NULL, 0, PA_SEEK_RELATIVE) < 0)
        return AUDCLNT_E_DEVICE_INVALIDATED;
    stream->written += count;
    pulse_stream_play_if_filled(stream);
    return S_OK;
}

/* Capture: what the stream holds for us is ready to read; the server's latency (the source's and
 * what is in flight) says how long ago the oldest frame not read was captured. */
static HRESULT pulse_capture_delay(struct pulse_stream *stream, UINT64 *frames, UINT32 *room)
{
    size_t readable = stream->state == PULSE_PLAYING ? pa_stream_readable_size(stream->stream) : 0;
    UINT64 ready;
    pa_usec_t latency;
    int negative;

    if (readable == (size_t)-1) return AUDCLNT_E_DEVICE_INVALIDATED;
    ready = (readable - min(readable, stream->fragment_read)) / stream->frame_bytes;
    *frames = ready;
    if (stream->state == PULSE_PLAYING && !pa_stream_get_latency(stream->stream, &latency, &negative) && !negative)
        *frames = max(ready, (latency * stream->rate + 500000) / 1000000);
    if (room) *room = (UINT32)min(ready, (UINT64)UINT_MAX);
    return S_OK;
}

/* Capture: copies the oldest frames the server gave, fragment by fragment; a hole in what the source
 * delivered reads as silence. */
static HRESULT pulse_stream_read(struct backend_stream *iface, float *frames, UINT32 count)
{
    struct pulse_stream *stream = pulse_stream_from(iface);
    size_t want, take;
    BYTE *dst = (BYTE *)frames;
    const void *data;

    if (!stream || !stream->capture || (!frames && count)) return E_INVALIDARG;
    if (!pulse_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    for (want = (size_t)count * stream->frame_bytes; want; want -= take)
    {
        if (stream->fragment_read == stream->fragment_bytes)
        {
            pulse_stream_drop_fragment(stream);
            if (pa_stream_peek(stream->stream, &data, &stream->fragment_bytes) < 0) return AUDCLNT_E_DEVICE_INVALIDATED;
            if (!stream->fragment_bytes) return AUDCLNT_E_BUFFER_ERROR;    /* more than stream_delay's room */
            stream->fragment = data;
        }
        take = min(want, stream->fragment_bytes - stream->fragment_read);
        if (stream->fragment) memcpy(dst, stream->fragment + stream->fragment_read, take);
        else memset(dst, 0, take);
        dst += take;
        stream->fragment_read += take;
    }
    if (stream->fragment_read == stream->fragment_bytes) pulse_stream_drop_fragment(stream);
    if (stream->process) pulse_process_loopback_sum(stream, frames, count);
    return S_OK;
}

/* After an underrun the server plays again only once its queue holds prebuf. The engine keeps
 * its lead queued, the sink's latency counted in it, which can stay short of that: each would wait
 * for the other. What the server holds and does not play after an underrun is started at once. */
static void pulse_stream_restart_stalled(struct pulse_stream *stream)
{
    const pa_timing_info *timing = pa_stream_get_timing_info(stream->stream);
    pa_operation *op;

    if (stream->state != PULSE_PLAYING || stream->restarted == stream->underruns || !timing || timing->playing
        || timing->write_index_corrupt || timing->read_index_corrupt || timing->write_index <= timing->read_index)
        return;
    stream->restarted = stream->underruns;
    WINE_TRACE("stream %p: the server holds %lld bytes and plays none of them\n", stream,
               (long long)(timing->write_index - timing->read_index));
    if ((op = pa_stream_trigger(stream->stream, NULL, NULL))) pa_operation_unref(op);
}

/* pipewire-pulse: the server's index heard at least by now (see struct pulse_stream), from its
 * timing replies and real time since; FALSE until a reply after the last start came. */
static BOOL pipewire_pulse_heard(struct pulse_stream *stream, double *heard)
{
    const pa_timing_info *timing = pa_stream_get_timing_info(stream->stream);
    pa_usec_t now = pa_rtclock_now(), at;
    double read, elapsed, low, high;

    if (timing && !timing->read_index_corrupt && memcmp(&timing->timestamp, &stream->seen, sizeof(stream->seen)))
    {
        stream->seen = timing->timestamp;
        /* Its time on the monotonic clock: libpulse stamps it with the server's (or its own) time
         * of day. */
        at = now - min(now, pa_timeval_age(&timing->timestamp));
        read = (double)timing->read_index / stream->frame_bytes - (double)timing->sink_usec * stream->rate / 1e6;
        elapsed = at > stream->bounds_time ? (at - stream->bounds_time) * (stream->rate / 1e6) : 0;
        low = stream->low + elapsed * (1 - PIPEWIRE_PULSE_DRIFT);
        high = stream->high + elapsed * (1 + PIPEWIRE_PULSE_DRIFT);
        /* Until it plays (and while it ran dry) everything read was heard. */
        if (!stream->bounded || !timing->playing) low = high = read;
        /* It fell behind real time (starting, standing still): it heard at most what it read. */
        else if (read < low) low = high = read;
        /* It ran ahead of it (the graph filling at start, a larger quantum): the reply alone holds. */
        else if (read - stream->quantum > high)
        {
            low = read - stream->quantum;
            high = read;
        }
        else
        {
            low = max(low, read - stream->quantum);
            high = min(high, read);
        }
        stream->low = low;
        stream->high = high;
        stream->bounds_time = at;
        stream->bounded = TRUE;
        stream->moving = timing->playing;
    }
    if (!stream->bounded) return FALSE;
    elapsed = now > stream->bounds_time && stream->moving ? (now - stream->bounds_time) * (stream->rate / 1e6) : 0;
    *heard = min(stream->low + elapsed * (1 - PIPEWIRE_PULSE_DRIFT), stream->high + elapsed * (1 + PIPEWIRE_PULSE_DRIFT));
    return TRUE;
}

/* The server's latency: what is queued, in flight and in the sink, from its last timing report
 * (asked for once a period) and interpolated by libpulse on the monotonic clock since. What it
 * implies was heard never goes back and never passes what was written. */
static HRESULT pulse_stream_delay(struct backend_stream *iface, UINT64 *frames, UINT32 *room)
{
    struct pulse_stream *stream = pulse_stream_from(iface);
    const pa_timing_info *timing;
    const pa_buffer_attr *attr;
    UINT64 delay, heard;
    pa_usec_t latency;
    double index;
    int negative;

    if (frames) *frames = 0;
    if (!stream || !frames) return E_INVALIDARG;
    pulse_stream_dispatch(stream);
    if (!pulse_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (stream->process) pulse_process_loopback_update(stream);
    if (stream->capture) return pulse_capture_delay(stream, frames, room);
    pulse_stream_restart_stalled(stream);
    /* Until uncorked nothing plays: everything written is still to be heard. */
    if (stream->state == PULSE_PLAYING && stream->quantum)
    {
        timing = pa_stream_get_timing_info(stream->stream);
        if (pipewire_pulse_heard(stream, &index) && timing && !timing->write_index_corrupt)
        {
            delay = (UINT64)max(0.0, (double)timing->write_index / stream->frame_bytes - index);
            heard = delay < stream->written ? stream->written - delay : 0;
            if (heard > stream->heard) stream->heard = heard;
        }
    }
    else if (stream->state == PULSE_PLAYING && !pa_stream_get_latency(stream->stream, &latency, &negative))
    {
        delay = negative ? 0 : (latency * stream->rate + 500000) / 1000000;
        heard = delay < stream->written ? stream->written - delay : 0;
        if (heard > stream->heard) stream->heard = heard;
    }
    if (stream->heard > stream->written) stream->heard = stream->written;
    *frames = stream->written - stream->heard;
    /* The server queues up to maxlength, whatever it asks for. */
    if (room)
    {
        *room = 0;
        if ((attr = pa_stream_get_buffer_attr(stream->stream)) && attr->maxlength / stream->frame_bytes > *frames)
            *room = attr->maxlength / stream->frame_bytes - *frames;
    }
    return S_OK;
}

/* ---- The endpoint's volume: the sink's or source's own, which the desktop's mixer shows ---- */

/* The server's scale is the cubic one of struct endpoint_volume (PA_VOLUME_NORM is 1.0, amplitude
 * its cube), and it goes above 100 %, which Windows' scalar cannot: that reads as 1.0. Its
 * range here is 1 % (-120 dB) to 100 %, in whole percents. */
#define PULSE_VOLUME_STEPS 101
#define PULSE_VOLUME_MIN_DB -120.0f

struct pulse_volume_query
{
    BOOL found;
    pa_cvolume volume;
    int mute;
    UINT32 hardware;        /* ENDPOINT_HARDWARE_SUPPORT_* */
};

static void on_sink_volume(pa_context *context, const pa_sink_info *sink, int eol, void *arg)
{
    struct pulse_volume_query *query = arg;

    (void)context;
    if (eol > 0 || !sink) return;
    query->found = TRUE;
    query->volume = sink->volume;
    query->mute = sink->mute;
    query->hardware = (sink->flags & PA_SINK_HW_VOLUME_CTRL ? ENDPOINT_HARDWARE_SUPPORT_VOLUME : 0)
                      | (sink->flags & PA_SINK_HW_MUTE_CTRL ? ENDPOINT_HARDWARE_SUPPORT_MUTE : 0);
}

static void on_source_volume(pa_context *context, const pa_source_info *source, int eol, void *arg)
{
    struct pulse_volume_query *query = arg;

    (void)context;
    if (eol > 0 || !source) return;
    query->found = TRUE;
    query->volume = source->volume;
    query->mute = source->mute;
    query->hardware = (source->flags & PA_SOURCE_HW_VOLUME_CTRL ? ENDPOINT_HARDWARE_SUPPORT_VOLUME : 0)
                      | (source->flags & PA_SOURCE_HW_MUTE_CTRL ? ENDPOINT_HARDWARE_SUPPORT_MUTE : 0);
}

static BOOL pulse_query_volume(struct pulse_connection *conn, const char *key, enum mmdevapi_flow flow,
                               struct pulse_volume_query *query)
{
    pa_operation *op;

    memset(query, 0, sizeof(*query));
    if (flow == MMDEVAPI_RENDER) op = pa_context_get_sink_info_by_name(conn->context, key, on_sink_volume, query);
    else op = pa_context_get_source_info_by_name(conn->context, key, on_source_volume, query);
    return pulse_complete(conn, op) && query->found && query->volume.channels <= MMDEVAPI_MAX_CHANNELS;
}

static HRESULT pulse_volume_get(const char *key, enum mmdevapi_flow flow, struct endpoint_volume *volume)
{
    struct pulse_volume_query query;
    struct pulse_connection conn;
    unsigned int i;
    BOOL found;

    memset(volume, 0, sizeof(*volume));
    if (!pulse_connect(&conn, "Wine mmdevapi")) return AUDCLNT_E_DEVICE_INVALIDATED;
    found = pulse_query_volume(&conn, key, flow, &query);
    pulse_disconnect(&conn);
    if (!found) return AUDCLNT_E_DEVICE_INVALIDATED;

    volume->channels = query.volume.channels;
    volume->mute = !!query.mute;
    for (i = 0; i < query.volume.channels; i++)
        volume->levels[i] = min(1.0f, (float)query.volume.values[i] / PA_VOLUME_NORM);
    volume->min_db = PULSE_VOLUME_MIN_DB;
    volume->max_db = 0.0f;
    volume->increment_db = -PULSE_VOLUME_MIN_DB / (PULSE_VOLUME_STEPS - 1);
    volume->step_count = PULSE_VOLUME_STEPS;
    volume->hardware = query.hardware;
    return S_OK;
}

static HRESULT pulse_volume_set(const char *key, enum mmdevapi_flow flow, const struct endpoint_volume *volume)
{
    struct pulse_volume_query query;
    struct pulse_connection conn;
    pa_operation *op = NULL;
    pa_cvolume levels;
    HRESULT hr = S_OK;
    unsigned int i;

    if (!pulse_connect(&conn, "Wine mmdevapi")) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (!pulse_query_volume(&conn, key, flow, &query)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    else if (volume->channels != query.volume.channels) hr = E_INVALIDARG;
    else
    {
        /* What did not change is left alone, a channel above 100 % too when 1.0 is asked: the
         * server then tells no one of a change. */
        levels = query.volume;
        for (i = 0; i < levels.channels; i++)
            if (volume->levels[i] < 1.0f || levels.values[i] < PA_VOLUME_NORM)
                levels.values[i] = (pa_volume_t)(volume->levels[i] * PA_VOLUME_NORM + 0.5f);
        if (!pa_cvolume_equal(&levels, &query.volume))
        {
            if (flow == MMDEVAPI_RENDER) op = pa_context_set_sink_volume_by_name(conn.context, key, &levels, NULL, NULL);
            else op = pa_context_set_source_volume_by_name(conn.context, key, &levels, NULL, NULL);
            if (!pulse_complete(&conn, op)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
        }
        if (SUCCEEDED(hr) && !volume->mute != !query.mute)
        {
            if (flow == MMDEVAPI_RENDER) op = pa_context_set_sink_mute_by_name(conn.context, key, volume->mute, NULL, NULL);
            else op = pa_context_set_source_mute_by_name(conn.context, key, volume->mute, NULL, NULL);
            if (!pulse_complete(&conn, op)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
        }
    }
    pulse_disconnect(&conn);
    return hr;
}

/* The other processes' streams on one sink or source, gathered a process at a time. */
struct pulse_session_list
{
    UINT32 self;            /* this process: its streams are its own sessions already */
    uint32_t device;        /* the sink's or source's index; PA_INVALID_INDEX until found */
    struct endpoint_session *sessions;
    UINT32 capacity, count;
    /* Or, with target set, the streams of that process: */
    UINT32 target;
    uint32_t streams[64];
    uint8_t stream_channels[64];
    UINT32 stream_count;
};

static void on_session_device(pa_context *context, const pa_sink_info *sink, int eol, void *arg)
{
    struct pulse_session_list *list = arg;

    (void)context;
    if (eol <= 0 && sink) list->device = sink->index;
}

static void on_session_source(pa_context *context, const pa_source_info *source, int eol, void *arg)
{
    struct pulse_session_list *list = arg;

    (void)context;
    if (eol <= 0 && source) list->device = source->index;
}

/* One stream into its process's session. A stream without a process (a module's) is no program's. */
static void add_session_stream(struct pulse_session_list *list, uint32_t index, pa_proplist *props, int corked,
                               const pa_cvolume *volume, int mute)
{
    const char *pid = pa_proplist_gets(props, PA_PROP_APPLICATION_PROCESS_ID);
    const char *windows_pid = pa_proplist_gets(props, PULSE_PROP_WINDOWS_PROCESS_ID);
    const char *name = pa_proplist_gets(props, PA_PROP_APPLICATION_NAME);
    struct endpoint_session *session;
    UINT32 process_id = pid ? (UINT32)strtoul(pid, NULL, 10) : 0, i;

    if (!process_id || process_id == list->self) return;
    if (list->target)
    {
        if (process_id != list->target || list->stream_count == ARRAY_SIZE(list->streams)) return;
        list->stream_channels[list->stream_count] = volume->channels;
        list->streams[list->stream_count++] = index;
        return;
    }
    for (i = 0; i < list->count && list->sessions[i].process_id != process_id; i++) ;
    if (i == list->count)
    {
        if (list->count == list->capacity) return;
        session = &list->sessions[list->count++];
        memset(session, 0, sizeof(*session));
        session->process_id = process_id;
        session->windows_process_id = windows_pid ? (UINT32)strtoul(windows_pid, NULL, 10) : 0;
        if (!name) name = pa_proplist_gets(props, PA_PROP_APPLICATION_PROCESS_BINARY);
        endpoint_set_text(session->name, sizeof(session->name), name ? name : "");
        session->volume = min(1.0f, (float)pa_sw_volume_to_linear(pa_cvolume_max(volume)));
        session->mute = !!mute;
    }
    else session = &list->sessions[i];
    session->active |= !corked;
}

static void on_session_sink_input(pa_context *context, const pa_sink_input_info *input, int eol, void *arg)
{
    struct pulse_session_list *list = arg;

    (void)context;
    if (eol <= 0 && input && input->sink == list->device)
        add_session_stream(list, input->index, input->proplist, input->corked, &input->volume, input->mute);
}

static void on_session_source_output(pa_context *context, const pa_source_output_info *output, int eol, void *arg)
{
    struct pulse_session_list *list = arg;

    (void)context;
    if (eol <= 0 && output && output->source == list->device)
        add_session_stream(list, output->index, output->proplist, output->corked, &output->volume, output->mute);
}

/* Gathers list's sessions or streams on the endpoint over conn; FALSE if the endpoint is gone or
 * the server did not answer. */
static BOOL pulse_gather_sessions(struct pulse_connection *conn, const char *key, enum mmdevapi_flow flow,
                                  struct pulse_session_list *list)
{
    pa_operation *op;

    list->self = getpid();
    list->device = PA_INVALID_INDEX;
    if (flow == MMDEVAPI_RENDER) op = pa_context_get_sink_info_by_name(conn->context, key, on_session_device, list);
    else op = pa_context_get_source_info_by_name(conn->context, key, on_session_source, list);
    if (!pulse_complete(conn, op) || list->device == PA_INVALID_INDEX) return FALSE;
    if (flow == MMDEVAPI_RENDER) op = pa_context_get_sink_input_info_list(conn->context, on_session_sink_input, list);
    else op = pa_context_get_source_output_info_list(conn->context, on_session_source_output, list);
    return pulse_complete(conn, op);
}

static UINT32 pulse_list_sessions(const char *key, enum mmdevapi_flow flow, struct endpoint_session *sessions,
                                  UINT32 capacity)
{
    struct pulse_session_list list = { .sessions = sessions, .capacity = capacity };
    struct pulse_connection conn;
    BOOL ok;

    if (!pulse_connect(&conn, "Wine mmdevapi")) return 0;
    ok = pulse_gather_sessions(&conn, key, flow, &list);
    pulse_disconnect(&conn);
    return ok ? list.count : 0;
}

static HRESULT pulse_set_session_volume(const char *key, enum mmdevapi_flow flow, UINT32 process_id, float volume,
                                        BOOL mute)
{
    struct pulse_session_list list = { .target = process_id };
    struct pulse_connection conn;
    HRESULT hr = S_OK;
    pa_operation *op;
    pa_cvolume levels;
    UINT32 i;

    if (!pulse_connect(&conn, "Wine mmdevapi")) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (!pulse_gather_sessions(&conn, key, flow, &list)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    for (i = 0; SUCCEEDED(hr) && i < list.stream_count; i++)
    {
        pa_cvolume_set(&levels, list.stream_channels[i], pa_sw_volume_from_linear(volume));
        if (flow == MMDEVAPI_RENDER) op = pa_context_set_sink_input_volume(conn.context, list.streams[i], &levels, NULL, NULL);
        else op = pa_context_set_source_output_volume(conn.context, list.streams[i], &levels, NULL, NULL);
        if (!pulse_complete(&conn, op))
        {
            hr = AUDCLNT_E_DEVICE_INVALIDATED;
            break;
        }
        if (flow == MMDEVAPI_RENDER) op = pa_context_set_sink_input_mute(conn.context, list.streams[i], mute, NULL, NULL);
        else op = pa_context_set_source_output_mute(conn.context, list.streams[i], mute, NULL, NULL);
        if (!pulse_complete(&conn, op)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    }
    pulse_disconnect(&conn);
    return hr;
}

/* The watch thread's connection, subscribed to the sinks', sources' and server's changes. */
static struct pulse_connection watch_conn;
static UINT32 watch_changes;

/* A sink's or source's change is its volume's (or another of its properties'); one that comes or
 * goes, or a change of the server's (its default sink or source), is the endpoints'. */
static void on_watched_change(pa_context *context, pa_subscription_event_type_t type, uint32_t index, void *arg)
{
    (void)context; (void)index; (void)arg;
    if ((type & PA_SUBSCRIPTION_EVENT_FACILITY_MASK) == PA_SUBSCRIPTION_EVENT_SERVER
        || (type & PA_SUBSCRIPTION_EVENT_TYPE_MASK) != PA_SUBSCRIPTION_EVENT_CHANGE)
        watch_changes |= MMDEVAPI_CHANGED_ENDPOINTS;
    else watch_changes |= MMDEVAPI_CHANGED_VOLUME;
}

static HRESULT pulse_watch(INT64 timeout_ns, UINT32 *changes)
{
    pa_usec_t now, deadline;

    if (watch_conn.context && pa_context_get_state(watch_conn.context) != PA_CONTEXT_READY)
        pulse_disconnect(&watch_conn);
    if (!watch_conn.context)
    {
        if (!pulse_connect(&watch_conn, "Wine mmdevapi")) return AUDCLNT_E_SERVICE_NOT_RUNNING;
        pa_mainloop_set_poll_func(watch_conn.loop, pulse_poll, NULL);
        pa_context_set_subscribe_callback(watch_conn.context, on_watched_change, NULL);
        if (!pulse_complete(&watch_conn, pa_context_subscribe(watch_conn.context,
                                                              PA_SUBSCRIPTION_MASK_SINK | PA_SUBSCRIPTION_MASK_SOURCE
                                                                  | PA_SUBSCRIPTION_MASK_SERVER,
                                                              NULL, NULL)))
        {
            pulse_disconnect(&watch_conn);
            return AUDCLNT_E_SERVICE_NOT_RUNNING;
        }
        /* Changes made before the subscription were not seen: the caller looks again. */
        *changes = MMDEVAPI_CHANGED_VOLUME | MMDEVAPI_CHANGED_ENDPOINTS;
        return S_OK;
    }
    watch_changes = 0;
    deadline = timeout_ns < 0 ? PA_USEC_INVALID : pa_rtclock_now() + timeout_ns / 1000;
    while (!watch_changes)
    {
        now = pa_rtclock_now();
        if (deadline != PA_USEC_INVALID && now >= deadline) return S_FALSE;
        if (pa_mainloop_prepare(watch_conn.loop, deadline == PA_USEC_INVALID ? -1 : (int)min(deadline - now, INT_MAX)) < 0
            || pa_mainloop_poll(watch_conn.loop) < 0 || pa_mainloop_dispatch(watch_conn.loop) < 0)
        {
            pulse_disconnect(&watch_conn);
            return AUDCLNT_E_SERVICE_NOT_RUNNING;
        }
    }
    *changes = watch_changes;
    return S_OK;
}

/* ---- Process loopback: the sound of one Windows process tree, or of everything but it ----
 *
 * The stream records the sink's monitor, as loopback does, for its pace and its timing only. What
 * it reads is the sum of one record stream for each sink input of the sink that is in the tree
 * (exclude: that is not), each tapping that input alone (pa_stream_set_monitor_stream): the
 * server hands them the input's frames in the sink's format as it mixes them, silence while the
 * input plays nothing. The context's subscription to sink inputs keeps the taps up to date as
 * programs come and go. A stream is in the tree whose Windows process id or one of whose
 * ancestors' (PULSE_PROP_WINDOWS_PROCESS_ID, PULSE_PROP_WINDOWS_ANCESTORS) is the target: a
 * program that is not Wine's is never in it. */

#define PULSE_TAPS_MAX 64
/* A tap's frames wait this long at most for the pace: its oldest beyond go. */
#define PULSE_TAP_MAX_MS 300
/* What a tap holds before it is summed: the monitor's and the taps' fragments reach us at times
 * that differ, on pipewire-pulse by up to 45 ms either way (measured here), which must never
 * leave a hole. The sound recorded is this much later than the monitor's. */
#define PULSE_TAP_CUSHION_MS 100

struct pulse_tap
{
    uint32_t input;         /* the sink input tapped */
    pa_stream *stream;
    float *frames;          /* delivered and not yet summed, oldest first */
    UINT32 count;
    BOOL primed;            /* it held its cushion since it last ran dry: it is summed */
    BOOL corked;            /* as the server was last asked */
    BOOL seen;              /* listed by the scan in flight */
};

struct pulse_process_loopback
{
    UINT32 target;
    BOOL exclude;
    uint32_t sink;          /* the sink's index */
    char monitor[MMDEVAPI_DEVICE_KEY_MAX + 8];
    pa_sample_spec spec;
    pa_channel_map map;
    UINT32 channels, capacity;  /* a tap's frames: channels each, capacity at most */
    UINT32 cushion;
    BOOL running;
    BOOL rescan;            /* sink inputs came, changed or went since the last scan began */
    pa_operation *scan;
    struct pulse_tap taps[PULSE_TAPS_MAX];
    UINT32 tap_count;
};

static void pulse_tap_free(struct pulse_tap *tap)
{
    if (PA_STREAM_IS_GOOD(pa_stream_get_state(tap->stream))) pa_stream_disconnect(tap->stream);
    pa_stream_unref(tap->stream);
    free(tap->frames);
}

static void pulse_process_loopback_free(struct pulse_stream *stream)
{
    struct pulse_process_loopback *process = stream->process;
    UINT32 i;

    if (!process) return;
    if (process->scan)
    {
        pa_operation_cancel(process->scan);
        pa_operation_unref(process->scan);
    }
    for (i = 0; i < process->tap_count; i++) pulse_tap_free(&process->taps[i]);
    free(process);
    stream->process = NULL;
}

/* Whether a stream with these properties is in the target's process tree. */
static BOOL pulse_in_tree(pa_proplist *props, UINT32 target)
{
    const char *id = pa_proplist_gets(props, PULSE_PROP_WINDOWS_PROCESS_ID);
    const char *ancestors = pa_proplist_gets(props, PULSE_PROP_WINDOWS_ANCESTORS);
    char *end;

    if (id && strtoul(id, NULL, 10) == target) return TRUE;
    while (ancestors && *ancestors)
    {
        if (strtoul(ancestors, &end, 10) == target) return TRUE;
        if (end == ancestors) break;
        ancestors = end;
    }
    return FALSE;
}

static void pulse_tap_add(struct pulse_stream *stream, uint32_t input)
{
    struct pulse_process_loopback *process = stream->process;
    struct pulse_tap *tap = &process->taps[process->tap_count];
    pa_buffer_attr attr = { .maxlength = (UINT32)-1, .tlength = (UINT32)-1, .prebuf = (UINT32)-1,
                            .minreq = (UINT32)-1, .fragsize = stream->period_frames * stream->frame_bytes };
    pa_stream_flags_t flags = PA_STREAM_ADJUST_LATENCY | PA_STREAM_DONT_MOVE
                              | (process->running ? 0 : PA_STREAM_START_CORKED);

    if (process->tap_count == PULSE_TAPS_MAX) return;
    memset(tap, 0, sizeof(*tap));
    tap->input = input;
    tap->seen = TRUE;
    tap->corked = !process->running;
    if (!(tap->frames = malloc((size_t)process->capacity * stream->frame_bytes))) return;
    if (!(tap->stream = pa_stream_new(stream->conn.context, "process loopback", &process->spec, &process->map)))
    {
        free(tap->frames);
        return;
    }
    /* Connected without waiting: it is summed once it delivers. */
    if (pa_stream_set_monitor_stream(tap->stream, input) < 0
        || pa_stream_connect_record(tap->stream, process->monitor, &attr, flags) < 0)
    {
        WINE_WARN("cannot tap sink input %u: %s\n", input, pa_strerror(pa_context_errno(stream->conn.context)));
        pulse_tap_free(tap);
        return;
    }
    WINE_TRACE("stream %p taps sink input %u\n", stream, input);
    process->tap_count++;
}

static void on_process_input(pa_context *context, const pa_sink_input_info *input, int eol, void *arg)
{
    struct pulse_stream *stream = arg;
    struct pulse_process_loopback *process = stream->process;
    UINT32 i;

    (void)context;
    if (eol > 0)
    {
        /* The inputs not listed are gone, elsewhere or no longer ours to record. */
        for (i = 0; i < process->tap_count;)
        {
            if (process->taps[i].seen) i++;
            else
            {
                WINE_TRACE("stream %p leaves sink input %u\n", stream, process->taps[i].input);
                pulse_tap_free(&process->taps[i]);
                process->taps[i] = process->taps[--process->tap_count];
            }
        }
        return;
    }
    if (eol < 0 || !input || input->sink != process->sink
        || pulse_in_tree(input->proplist, process->target) == process->exclude)
        return;
    for (i = 0; i < process->tap_count && process->taps[i].input != input->index; i++) ;
    if (i < process->tap_count) process->taps[i].seen = TRUE;
    else pulse_tap_add(stream, input->index);
}

static void on_process_input_event(pa_context *context, pa_subscription_event_type_t type, uint32_t index, void *arg)
{
    struct pulse_stream *stream = arg;

    (void)context; (void)type; (void)index;
    stream->process->rescan = TRUE;
}

/* Lists the sink inputs anew, without waiting, unless a list is in flight. */
static void pulse_process_loopback_scan(struct pulse_stream *stream)
{
    struct pulse_process_loopback *process = stream->process;
    UINT32 i;

    if (process->scan)
    {
        if (pa_operation_get_state(process->scan) == PA_OPERATION_RUNNING) return;
        pa_operation_unref(process->scan);
    }
    process->rescan = FALSE;
    for (i = 0; i < process->tap_count; i++) process->taps[i].seen = FALSE;
    process->scan = pa_context_get_sink_input_info_list(stream->conn.context, on_process_input, stream);
}

/* Has the server record a tap while the stream runs; a stop drops what it holds. A tap still
 * connecting is corked or uncorked once it is ready. */
static void pulse_tap_run(struct pulse_tap *tap, BOOL running)
{
    pa_operation *op;

    if (pa_stream_get_state(tap->stream) != PA_STREAM_READY || tap->corked == !running) return;
    tap->corked = !running;
    if ((op = pa_stream_cork(tap->stream, !running, NULL, NULL))) pa_operation_unref(op);
    if (!running && (op = pa_stream_flush(tap->stream, NULL, NULL))) pa_operation_unref(op);
    tap->count = 0;
    tap->primed = FALSE;
}

/* Takes in what each tap delivered (the stream's dispatch ran), and follows the sink's inputs. */
static void pulse_process_loopback_update(struct pulse_stream *stream)
{
    struct pulse_process_loopback *process = stream->process;
    UINT32 i, frames, drop;
    struct pulse_tap *tap;
    const void *data;
    size_t bytes;

    if (process->rescan) pulse_process_loopback_scan(stream);
    for (i = 0; i < process->tap_count; i++)
    {
        tap = &process->taps[i];
        pulse_tap_run(tap, process->running);
        if (pa_stream_get_state(tap->stream) != PA_STREAM_READY) continue;
        while (pa_stream_readable_size(tap->stream) > 0 && pa_stream_peek(tap->stream, &data, &bytes) >= 0 && bytes)
        {
            frames = min(bytes / stream->frame_bytes, (size_t)process->capacity);
            if (tap->count + frames > process->capacity)
            {
                drop = tap->count + frames - process->capacity;
                tap->count -= drop;
                memmove(tap->frames, tap->frames + (size_t)drop * process->channels,
                        (size_t)tap->count * stream->frame_bytes);
            }
            /* A hole in what the server delivered is silence. */
            if (data) memcpy(tap->frames + (size_t)tap->count * process->channels, data, (size_t)frames * stream->frame_bytes);
            else memset(tap->frames + (size_t)tap->count * process->channels, 0, (size_t)frames * stream->frame_bytes);
            tap->count += frames;
            pa_stream_drop(tap->stream);
        }
        if (tap->count >= process->cushion) tap->primed = TRUE;
    }
}

/* What was read of the monitor becomes the sum of the taps' oldest frames, each tap's from once it
 * holds its cushion. */
static void pulse_process_loopback_sum(struct pulse_stream *stream, float *frames, UINT32 count)
{
    struct pulse_process_loopback *process = stream->process;
    UINT32 i, n, channels = process->channels;
    struct pulse_tap *tap;
    size_t j;

    pulse_process_loopback_update(stream);
    memset(frames, 0, (size_t)count * stream->frame_bytes);
    for (i = 0; i < process->tap_count; i++)
    {
        tap = &process->taps[i];
        if (!tap->primed) continue;
        n = min(count, tap->count);
        for (j = 0; j < (size_t)n * channels; j++) frames[j] += tap->frames[j];
        tap->count -= n;
        memmove(tap->frames, tap->frames + (size_t)n * channels, (size_t)tap->count * stream->frame_bytes);
        /* Run dry (its input stopped playing): it waits for its cushion again. */
        if (!tap->count) tap->primed = FALSE;
    }
}

static void pulse_process_loopback_run(struct pulse_stream *stream, BOOL running)
{
    struct pulse_process_loopback *process = stream->process;
    UINT32 i;

    if (!process) return;
    process->running = running;
    for (i = 0; i < process->tap_count; i++) pulse_tap_run(&process->taps[i], running);
}

static void on_process_sink(pa_context *context, const pa_sink_info *sink, int eol, void *arg)
{
    struct pulse_process_loopback *process = arg;

    (void)context;
    if (eol <= 0 && sink) process->sink = sink->index;
}

static HRESULT pulse_process_stream_open(const char *key, const struct endpoint_format *format, UINT32 period_frames,
                                         UINT32 process_id, BOOL exclude, struct backend_stream **out)
{
    struct pulse_process_loopback *process;
    struct pulse_stream *stream;
    UINT32 lead;
    HRESULT hr;

    if (!out) return E_INVALIDARG;
    *out = NULL;
    if (!process_id) return E_INVALIDARG;
    if (FAILED(hr = pulse_stream_open(key, MMDEVAPI_LOOPBACK, format, period_frames, out, &lead))) return hr;
    stream = pulse_stream_from(*out);
    if (!(process = stream->process = calloc(1, sizeof(*process))))
    {
        pulse_stream_close(*out);
        *out = NULL;
        return E_OUTOFMEMORY;
    }
    process->target = process_id;
    process->exclude = exclude;
    process->sink = PA_INVALID_INDEX;
    process->spec = *pa_stream_get_sample_spec(stream->stream);
    process->map = *pa_stream_get_channel_map(stream->stream);
    process->channels = process->spec.channels;
    process->cushion = max(stream->rate * PULSE_TAP_CUSHION_MS / 1000, period_frames);
    process->capacity = max(stream->rate * PULSE_TAP_MAX_MS / 1000, 4 * process->cushion);
    snprintf(process->monitor, sizeof(process->monitor), "%s.monitor", key);
    pa_context_set_subscribe_callback(stream->conn.context, on_process_input_event, stream);
    stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    if (!pulse_complete(&stream->conn, pa_context_get_sink_info_by_name(stream->conn.context, key, on_process_sink,
                                                                        process))
        || process->sink == PA_INVALID_INDEX
        || !pulse_complete(&stream->conn, pa_context_subscribe(stream->conn.context, PA_SUBSCRIPTION_MASK_SINK_INPUT,
                                                               NULL, NULL)))
    {
        WINE_WARN("cannot follow the sink inputs of %s\n", key);
        pulse_stream_close(*out);
        *out = NULL;
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    pulse_process_loopback_scan(stream);
    return S_OK;
}

const struct backend_ops pulse_backend =
{
    .name = "pulse",
    .probe = pulse_probe,
    .list_endpoints = pulse_list_endpoints,
    .stream_open = pulse_stream_open,
    .stream_close = pulse_stream_close,
    .stream_start = pulse_stream_start,
    .stream_stop = pulse_stream_stop,
    .stream_wait = pulse_stream_wait,
    .stream_write = pulse_stream_write,
    .stream_delay = pulse_stream_delay,
    .volume_get = pulse_volume_get,
    .volume_set = pulse_volume_set,
    .watch = pulse_watch,
    .stream_read = pulse_stream_read,
    .list_sessions = pulse_list_sessions,
    .set_session_volume = pulse_set_session_volume,
    .process_stream_open = pulse_process_stream_open,
};
