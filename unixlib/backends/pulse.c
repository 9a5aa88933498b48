/* The PulseAudio backend (and PipeWire through pipewire-pulse). Only pa_mainloop is used, driven
 * from the calling Wine thread: the threaded main loop's own thread must never call into Wine. */
#include <stdarg.h>
#include <string.h>
#include <pulse/pulseaudio.h>
#include <windef.h>
#include <winbase.h>
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <mmdeviceapi.h>
#include <wine/debug.h>

#include "backend.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

/* How long a server may take to answer before we treat it as gone. */
#define PULSE_TIMEOUT_USEC (2 * 1000 * 1000)

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

static BOOL pulse_connect(struct pulse_connection *conn)
{
    memset(conn, 0, sizeof(*conn));
    conn->deadline = pa_rtclock_now() + PULSE_TIMEOUT_USEC;
    if (!(conn->loop = pa_mainloop_new())) return FALSE;
    if (!(conn->context = pa_context_new(pa_mainloop_get_api(conn->loop), "Wine mmdevapi")))
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

    if (!pulse_connect(&conn)) return FALSE;
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

static UINT32 speaker_of_position(pa_channel_position_t position)
{
    switch (position)
    {
    case PA_CHANNEL_POSITION_MONO:
    case PA_CHANNEL_POSITION_FRONT_CENTER: return SPEAKER_FRONT_CENTER;
    case PA_CHANNEL_POSITION_FRONT_LEFT: return SPEAKER_FRONT_LEFT;
    case PA_CHANNEL_POSITION_FRONT_RIGHT: return SPEAKER_FRONT_RIGHT;
    case PA_CHANNEL_POSITION_REAR_CENTER: return SPEAKER_BACK_CENTER;
    case PA_CHANNEL_POSITION_REAR_LEFT: return SPEAKER_BACK_LEFT;
    case PA_CHANNEL_POSITION_REAR_RIGHT: return SPEAKER_BACK_RIGHT;
    case PA_CHANNEL_POSITION_LFE: return SPEAKER_LOW_FREQUENCY;
    case PA_CHANNEL_POSITION_FRONT_LEFT_OF_CENTER: return SPEAKER_FRONT_LEFT_OF_CENTER;
    case PA_CHANNEL_POSITION_FRONT_RIGHT_OF_CENTER: return SPEAKER_FRONT_RIGHT_OF_CENTER;
    case PA_CHANNEL_POSITION_SIDE_LEFT: return SPEAKER_SIDE_LEFT;
    case PA_CHANNEL_POSITION_SIDE_RIGHT: return SPEAKER_SIDE_RIGHT;
    case PA_CHANNEL_POSITION_TOP_CENTER: return SPEAKER_TOP_CENTER;
    case PA_CHANNEL_POSITION_TOP_FRONT_LEFT: return SPEAKER_TOP_FRONT_LEFT;
    case PA_CHANNEL_POSITION_TOP_FRONT_CENTER: return SPEAKER_TOP_FRONT_CENTER;
    case PA_CHANNEL_POSITION_TOP_FRONT_RIGHT: return SPEAKER_TOP_FRONT_RIGHT;
    case PA_CHANNEL_POSITION_TOP_REAR_LEFT: return SPEAKER_TOP_BACK_LEFT;
    case PA_CHANNEL_POSITION_TOP_REAR_CENTER: return SPEAKER_TOP_BACK_CENTER;
    case PA_CHANNEL_POSITION_TOP_REAR_RIGHT: return SPEAKER_TOP_BACK_RIGHT;
    default: return 0;
    }
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
        if (!speaker || (mask & speaker)) return endpoint_default_channel_mask(map->channels);
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
    if (!pulse_connect(&conn)) return 0;
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

const struct backend_ops pulse_backend =
{
    .name = "pulse",
    .probe = pulse_probe,
    .list_endpoints = pulse_list_endpoints,
};
