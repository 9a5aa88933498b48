/* The PulseAudio backend (and PipeWire through pipewire-pulse). Only pa_mainloop is used, driven
 * from the calling Wine thread: the threaded main loop's own thread must never call into Wine. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pulse/pulseaudio.h>
#include <windef.h>
#include <winbase.h>
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
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

static UINT32 form_factor_of(const pa_proplist *props, enum mmdevapi_flow flow)
{
    static const struct { const char *name; UINT32 form_factor; } form_factors[] =
    {
        { "speaker", Speakers },
        { "headphone", Headphones },
        { "headset", Headset },
        { "handset", Handset },
        { "microphone", Microphone },
        { "webcam", Microphone },
    };
    const char *name = pa_proplist_gets(props, PA_PROP_DEVICE_FORM_FACTOR);
    size_t i;

    if (name)
        for (i = 0; i < ARRAY_SIZE(form_factors); i++)
            if (!strcmp(name, form_factors[i].name)) return form_factors[i].form_factor;
    return flow == MMDEVAPI_RENDER ? Speakers : Microphone;
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
    info->form_factor = form_factor_of(props, list->flow);
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

static void pulse_stream_close(struct backend_stream *iface)
{
    struct pulse_stream *stream = pulse_stream_from(iface);

    if (!stream) return;
    if (stream->timing) pa_operation_unref(stream->timing);
    if (stream->stream)
    {
        if (PA_STREAM_IS_GOOD(pa_stream_get_state(stream->stream))) pa_stream_disconnect(stream->stream);
        pa_stream_unref(stream->stream);
    }
    pulse_disconnect(&stream->conn);
    free(stream);
}

/* The process's name as Wine set it (the Windows program's), for the server's lists. */
static void process_name(char *name, size_t size)
{
    FILE *file = fopen("/proc/self/comm", "r");

    if (!file || !fgets(name, size, file)) endpoint_set_text(name, size, "Wine");
    name[strcspn(name, "\n")] = 0;
    if (file) fclose(file);
}

static HRESULT pulse_stream_open(const char *key, enum mmdevapi_flow flow, const struct endpoint_format *format,
                                 UINT32 period_frames, struct backend_stream **out, UINT32 *lead_frames)
{
    const pa_stream_flags_t flags = PA_STREAM_START_CORKED | PA_STREAM_INTERPOLATE_TIMING
        | PA_STREAM_AUTO_TIMING_UPDATE | PA_STREAM_ADJUST_LATENCY;
    struct pulse_stream *stream;
    char name[64];
    pa_sample_spec spec;
    pa_channel_map map;
    pa_buffer_attr attr;
    pa_proplist *props;
    BOOL ok;

    if (!out || !lead_frames) return E_INVALIDARG;
    *out = NULL;
    if (!key || !format || (flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE) || !format->is_float
        || format->bits != 32)
        return E_INVALIDARG;
    if (flow == MMDEVAPI_CAPTURE) return E_NOTIMPL;
    spec.format = PA_SAMPLE_FLOAT32LE;
    spec.rate = format->rate;
    spec.channels = format->channels;
    if (!pa_sample_spec_valid(&spec) || !period_frames || period_frames > spec.rate) return E_INVALIDARG;
    channel_map_of_mask(format->channel_mask, spec.channels, &map);

    if (!(stream = calloc(1, sizeof(*stream)))) return E_OUTOFMEMORY;
    stream->rate = spec.rate;
    stream->frame_bytes = pa_frame_size(&spec);
    stream->period_frames = period_frames;
    process_name(name, sizeof(name));
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
    pa_proplist_sets(props, PA_PROP_MEDIA_NAME, "Playback");
    pa_proplist_sets(props, PA_PROP_APPLICATION_ICON_NAME, "wine");
    stream->stream = pa_stream_new_with_proplist(stream->conn.context, "Playback", &spec, &map, props);
    pa_proplist_free(props);
    if (!stream->stream) goto oom;
    pa_stream_set_underflow_callback(stream->stream, on_underflow, stream);
    pa_stream_set_moved_callback(stream->stream, on_moved, stream);

    attr.maxlength = (UINT32)-1;
    attr.tlength = max(PULSE_TARGET_PERIODS * period_frames, spec.rate * (PULSE_MIN_LEAD_MS + 10) / 1000)
                   * stream->frame_bytes;
    attr.prebuf = (UINT32)-1;
    attr.minreq = period_frames * stream->frame_bytes;
    attr.fragsize = (UINT32)-1;
    stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    ok = pa_stream_connect_playback(stream->stream, key, &attr, flags, NULL, NULL) >= 0
        && pulse_run_until(&stream->conn, stream_settled, stream->stream)
        && pulse_stream_alive(stream) && pulse_stream_set_target(stream);
    if (!ok)
    {
        WINE_WARN("cannot play on %s: %s\n", key, pa_strerror(pa_context_errno(stream->conn.context)));
        pulse_stream_close((struct backend_stream *)stream);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    *out = (struct backend_stream *)stream;
    *lead_frames = max(stream->fill_frames - stream->period_frames,
                       (spec.rate * PULSE_MIN_LEAD_MS / 1000 + period_frames - 1) / period_frames * period_frames);
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
    return S_OK;
}

static HRESULT pulse_stream_stop(struct backend_stream *iface)
{
    struct pulse_stream *stream = pulse_stream_from(iface);
    pa_operation *op;

    if (!stream) return E_INVALIDARG;
    if (!pulse_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if ((op = pa_stream_cork(stream->stream, 1, NULL, NULL))) pa_operation_unref(op);
    /* The flush is answered after the cork: once it is, the server plays nothing of ours. */
    stream->conn.deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    if (!pulse_complete(&stream->conn, pa_stream_flush(stream->stream, NULL, NULL)))
        return AUDCLNT_E_DEVICE_INVALIDATED;
    stream->state = PULSE_STOPPED;
    stream->written = stream->heard = 0;
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

/* The server's latency: what is queued, in flight and in the sink, from its last timing report
 * (asked for once a period) and interpolated by libpulse on the monotonic clock since. What it
 * implies was heard never goes back and never passes what was written. */
static HRESULT pulse_stream_delay(struct backend_stream *iface, UINT64 *frames, UINT32 *room)
{
    struct pulse_stream *stream = pulse_stream_from(iface);
    const pa_buffer_attr *attr;
    UINT64 delay, heard;
    pa_usec_t latency;
    int negative;

    if (frames) *frames = 0;
    if (!stream || !frames) return E_INVALIDARG;
    pulse_stream_dispatch(stream);
    if (!pulse_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    /* Until uncorked nothing plays: everything written is still to be heard. */
    if (stream->state == PULSE_PLAYING && !pa_stream_get_latency(stream->stream, &latency, &negative))
    {
        delay = negative ? 0 : (latency * stream->rate + 500000) / 1000000;
        heard = delay < stream->written ? stream->written - delay : 0;
        if (heard > stream->heard) stream->heard = heard;
        if (stream->heard > stream->written) stream->heard = stream->written;
    }
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
};
