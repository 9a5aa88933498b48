/*
 * mmdevlist: lists the audio endpoints as Windows programs see them through mmdevapi.
 *
 *   mmdevlist           an aligned table
 *   mmdevlist --json    a JSON array, one object per endpoint
 *
 * Every endpoint of every state, render then capture: id, friendly name, flow, state, the roles
 * it is the default endpoint for, and the engine's format (PKEY_AudioEngine_DeviceFormat).
 * Output is UTF-8. Exit status: 0 on success (also with no endpoint), 1 when a COM call fails,
 * 2 on a bad command line.
 */

#define COBJMACROS
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#include <objbase.h>
#include <propsys.h>
#include <initguid.h>
#include <propkeydef.h>     /* again, now defining the keys */
#include <mmdeviceapi.h>
#include <devpkey.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static const char *const role_names[] = {"console", "multimedia", "communications"};

struct format
{
    char type[16];          /* "float32", "s16", ...; "" when there is no format */
    DWORD rate;
    WORD channels;
    WORD bits;
    WORD valid_bits;
    DWORD channel_mask;
};

struct endpoint
{
    char *id;               /* UTF-8 */
    char *name;             /* UTF-8, NULL when the endpoint has no friendly name */
    EDataFlow flow;
    DWORD state;
    unsigned int roles;     /* bit n: default endpoint for ERole n */
    struct format format;
};

/* The default endpoint id of each flow and role, NULL where there is none. */
struct defaults
{
    WCHAR *id[2][ARRAY_SIZE(role_names)];
};

struct list
{
    struct endpoint *items;
    size_t count, size;
};

static void __attribute__((format(printf, 2, 3))) fail(HRESULT hr, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    fputs("mmdevlist: ", stderr);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, " failed: %08lx\n", hr);
    va_end(args);
}

static char *utf8(const WCHAR *str)
{
    int len = WideCharToMultiByte(CP_UTF8, 0, str, -1, NULL, 0, NULL, NULL);
    char *ret = malloc(len > 0 ? len : 1);

    if (!ret) abort();
    if (len <= 0) *ret = 0;
    else WideCharToMultiByte(CP_UTF8, 0, str, -1, ret, len, NULL, NULL);
    return ret;
}

static void parse_format(const PROPVARIANT *pv, struct format *fmt)
{
    const WAVEFORMATEXTENSIBLE *wfx = (const WAVEFORMATEXTENSIBLE *)pv->blob.pBlobData;
    BOOL is_float, is_pcm;

    memset(fmt, 0, sizeof(*fmt));
    if (pv->vt != VT_BLOB || pv->blob.cbSize < sizeof(WAVEFORMATEX)) return;

    fmt->rate = wfx->Format.nSamplesPerSec;
    fmt->channels = wfx->Format.nChannels;
    fmt->bits = fmt->valid_bits = wfx->Format.wBitsPerSample;
    is_float = wfx->Format.wFormatTag == WAVE_FORMAT_IEEE_FLOAT;
    is_pcm = wfx->Format.wFormatTag == WAVE_FORMAT_PCM;
    if (wfx->Format.wFormatTag == WAVE_FORMAT_EXTENSIBLE && pv->blob.cbSize >= sizeof(*wfx)
            && wfx->Format.cbSize >= sizeof(*wfx) - sizeof(WAVEFORMATEX))
    {
        fmt->valid_bits = wfx->Samples.wValidBitsPerSample;
        fmt->channel_mask = wfx->dwChannelMask;
        is_float = IsEqualGUID(&wfx->SubFormat, &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT);
        is_pcm = IsEqualGUID(&wfx->SubFormat, &KSDATAFORMAT_SUBTYPE_PCM);
    }

    if (is_float) sprintf(fmt->type, "float%u", fmt->bits);
    else if (is_pcm && fmt->bits == 8) strcpy(fmt->type, "u8");
    else if (is_pcm) sprintf(fmt->type, "s%u", fmt->bits);
    else strcpy(fmt->type, "unknown");
}

/* Reads one endpoint into ep; FALSE (after a message) when a COM call fails. */
static BOOL read_endpoint(IMMDevice *dev, EDataFlow flow, const struct defaults *defaults,
                          struct endpoint *ep)
{
    IPropertyStore *store;
    PROPVARIANT pv;
    WCHAR *id;
    HRESULT hr;
    size_t r;

    memset(ep, 0, sizeof(*ep));
    ep->flow = flow;
    if (FAILED(hr = IMMDevice_GetId(dev, &id)))
    {
        fail(hr, "IMMDevice::GetId");
        return FALSE;
    }
    ep->id = utf8(id);
    for (r = 0; r < ARRAY_SIZE(role_names); r++)
        if (defaults->id[flow][r] && !wcscmp(defaults->id[flow][r], id)) ep->roles |= 1u << r;
    CoTaskMemFree(id);

    if (FAILED(hr = IMMDevice_GetState(dev, &ep->state)))
    {
        fail(hr, "IMMDevice::GetState(%s)", ep->id);
        return FALSE;
    }
    if (FAILED(hr = IMMDevice_OpenPropertyStore(dev, STGM_READ, &store)))
    {
        fail(hr, "IMMDevice::OpenPropertyStore(%s)", ep->id);
        return FALSE;
    }

    PropVariantInit(&pv);
    hr = IPropertyStore_GetValue(store, (const PROPERTYKEY *)&DEVPKEY_Device_FriendlyName, &pv);
    if (SUCCEEDED(hr) && pv.vt == VT_LPWSTR && pv.pwszVal) ep->name = utf8(pv.pwszVal);
    PropVariantClear(&pv);

    if (SUCCEEDED(hr)) hr = IPropertyStore_GetValue(store, &PKEY_AudioEngine_DeviceFormat, &pv);
    if (SUCCEEDED(hr)) parse_format(&pv, &ep->format);
    PropVariantClear(&pv);
    IPropertyStore_Release(store);

    if (FAILED(hr)) fail(hr, "IPropertyStore::GetValue(%s)", ep->id);
    return SUCCEEDED(hr);
}

static BOOL read_defaults(IMMDeviceEnumerator *mme, struct defaults *defaults)
{
    IMMDevice *dev;
    EDataFlow flow;
    HRESULT hr;
    size_t r;

    for (flow = eRender; flow <= eCapture; flow++)
    {
        for (r = 0; r < ARRAY_SIZE(role_names); r++)
        {
            hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, flow, (ERole)r, &dev);
            if (hr == E_NOTFOUND) continue;
            if (FAILED(hr))
            {
                fail(hr, "GetDefaultAudioEndpoint(%s, %s)", flow == eRender ? "render" : "capture",
                     role_names[r]);
                return FALSE;
            }
            hr = IMMDevice_GetId(dev, &defaults->id[flow][r]);
            IMMDevice_Release(dev);
            if (FAILED(hr))
            {
                fail(hr, "IMMDevice::GetId");
                return FALSE;
            }
        }
    }
    return TRUE;
}

static BOOL read_endpoints(IMMDeviceEnumerator *mme, struct list *list)
{
    struct defaults defaults = {{{0}}};
    IMMDeviceCollection *coll;
    BOOL good = read_defaults(mme, &defaults);
    IMMDevice *dev;
    EDataFlow flow;
    UINT count, i;
    HRESULT hr;
    size_t r;

    for (flow = eRender; good && flow <= eCapture; flow++)
    {
        if (FAILED(hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, flow, DEVICE_STATEMASK_ALL, &coll)))
        {
            fail(hr, "EnumAudioEndpoints");
            good = FALSE;
            break;
        }
        if (FAILED(hr = IMMDeviceCollection_GetCount(coll, &count)))
        {
            fail(hr, "IMMDeviceCollection::GetCount");
            count = 0;
            good = FALSE;
        }
        for (i = 0; good && i < count; i++)
        {
            if (FAILED(hr = IMMDeviceCollection_Item(coll, i, &dev)))
            {
                fail(hr, "IMMDeviceCollection::Item(%u)", i);
                good = FALSE;
                break;
            }
            if (list->count == list->size)
            {
                list->size = list->size ? list->size * 2 : 8;
                if (!(list->items = realloc(list->items, list->size * sizeof(*list->items)))) abort();
            }
            good = read_endpoint(dev, flow, &defaults, &list->items[list->count]);
            list->count++;
            IMMDevice_Release(dev);
        }
        IMMDeviceCollection_Release(coll);
    }

    for (flow = eRender; flow <= eCapture; flow++)
        for (r = 0; r < ARRAY_SIZE(role_names); r++) CoTaskMemFree(defaults.id[flow][r]);
    return good;
}

static const char *flow_name(EDataFlow flow)
{
    return flow == eRender ? "render" : "capture";
}

static const char *state_name(DWORD state, char *buf)
{
    switch (state)
    {
    case DEVICE_STATE_ACTIVE: return "active";
    case DEVICE_STATE_DISABLED: return "disabled";
    case DEVICE_STATE_NOTPRESENT: return "notpresent";
    case DEVICE_STATE_UNPLUGGED: return "unplugged";
    }
    sprintf(buf, "0x%lx", state);
    return buf;
}

/* ---- text table ------------------------------------------------------------------------------- */

enum column {COL_FLOW, COL_STATE, COL_DEFAULT, COL_FORMAT, COL_NAME, COL_ID, COL_COUNT};

static const char *const headers[COL_COUNT] = {"FLOW", "STATE", "DEFAULT", "FORMAT", "NAME", "ID"};

/* Columns are aligned on characters, not bytes. */
static size_t text_width(const char *str)
{
    size_t width = 0;

    for (; *str; str++) if ((*str & 0xc0) != 0x80) width++;
    return width;
}

static void table_cells(const struct endpoint *ep, char cells[COL_COUNT][512])
{
    char buf[16];
    size_t r;


    strcpy(cells[COL_FLOW], flow_name(ep->flow));
    strcpy(cells[COL_STATE], state_name(ep->state, buf));

    cells[COL_DEFAULT][0] = 0;
    for (r = 0; r < ARRAY_SIZE(role_names); r++)
    {
        if (!(ep->roles & (1u << r))) continue;
        if (cells[COL_DEFAULT][0]) strcat(cells[COL_DEFAULT], ",");
        strcat(cells[COL_DEFAULT], role_names[r]);
    }
    if (!cells[COL_DEFAULT][0]) strcpy(cells[COL_DEFAULT], "-");

    if (!ep->format.type[0]) strcpy(cells[COL_FORMAT], "-");
    else sprintf(cells[COL_FORMAT], "%s %lu Hz %u ch mask 0x%lx", ep->format.type, ep->format.rate,
                 ep->format.channels, ep->format.channel_mask);

    lstrcpynA(cells[COL_NAME], ep->name ? ep->name : "-", sizeof(cells[COL_NAME]));
    lstrcpynA(cells[COL_ID], ep->id, sizeof(cells[COL_ID]));
}

static void print_row(char cells[COL_COUNT][512], const size_t widths[COL_COUNT])
{
    int c;

    for (c = 0; c < COL_COUNT; c++)
    {
        if (c == COL_COUNT - 1) printf("%s\n", cells[c]);
        else printf("%s%*s", cells[c], (int)(widths[c] - text_width(cells[c]) + 2), "");
    }
}

static void print_table(const struct list *list)
{
    static char cells[COL_COUNT][512];
    size_t widths[COL_COUNT], i;
    int c;

    for (c = 0; c < COL_COUNT; c++) widths[c] = strlen(headers[c]);
    for (i = 0; i < list->count; i++)
    {
        table_cells(&list->items[i], cells);
        for (c = 0; c < COL_COUNT; c++)
            if (text_width(cells[c]) > widths[c]) widths[c] = text_width(cells[c]);
    }

    for (c = 0; c < COL_COUNT; c++) strcpy(cells[c], headers[c]);
    print_row(cells, widths);
    for (i = 0; i < list->count; i++)
    {
        table_cells(&list->items[i], cells);
        print_row(cells, widths);
    }
}

/* ---- JSON ------------------------------------------------------------------------------------- */

static void print_json_string(const char *str)
{
    const unsigned char *p;

    if (!str)
    {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (p = (const unsigned char *)str; *p; p++)
    {
        switch (*p)
        {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\b': fputs("\\b", stdout); break;
        case '\f': fputs("\\f", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (*p < 0x20) printf("\\u%04x", *p);
            else putchar(*p);
        }
    }
    putchar('"');
}

static void print_json(const struct list *list)
{
    const struct endpoint *ep;
    char buf[16];
    size_t i, r;
    BOOL first;

    putchar('[');
    for (i = 0; i < list->count; i++)
    {
        ep = &list->items[i];
        fputs(i ? ",\n  {" : "\n  {", stdout);
        fputs("\"id\": ", stdout);
        print_json_string(ep->id);
        fputs(", \"name\": ", stdout);
        print_json_string(ep->name);
        printf(", \"flow\": \"%s\", \"state\": ", flow_name(ep->flow));
        print_json_string(state_name(ep->state, buf));

        fputs(", \"default_roles\": [", stdout);
        for (r = 0, first = TRUE; r < ARRAY_SIZE(role_names); r++)
        {
            if (!(ep->roles & (1u << r))) continue;
            printf("%s\"%s\"", first ? "" : ", ", role_names[r]);
            first = FALSE;
        }
        fputs("], \"format\": ", stdout);
        if (!ep->format.type[0]) fputs("null", stdout);
        else printf("{\"type\": \"%s\", \"rate\": %lu, \"channels\": %u, \"bits\": %u, \"valid_bits\": %u, "
                    "\"channel_mask\": %lu}", ep->format.type, ep->format.rate, ep->format.channels,
                    ep->format.bits, ep->format.valid_bits, ep->format.channel_mask);
        putchar('}');
    }
    fputs(list->count ? "\n]\n" : "]\n", stdout);
}

/* ---- main ------------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("Usage: mmdevlist [--json]\n"
          "Lists the audio endpoints (all states, render then capture) as Windows programs see them:\n"
          "id, friendly name, flow, state, the roles it is the default for, and the engine's format.\n"
          "\n"
          "  --json   print a JSON array instead of a table\n"
          "  --help   print this help\n", out);
}

int main(int argc, char **argv)
{
    struct list list = {0};
    IMMDeviceEnumerator *mme;
    BOOL json = FALSE, good;
    HRESULT hr;
    size_t i;
    int arg;

    for (arg = 1; arg < argc; arg++)
    {
        if (!strcmp(argv[arg], "--json")) json = TRUE;
        else if (!strcmp(argv[arg], "--help") || !strcmp(argv[arg], "-h"))
        {
            usage(stdout);
            return 0;
        }
        else
        {
            fprintf(stderr, "mmdevlist: unknown argument '%s'\n", argv[arg]);
            usage(stderr);
            return 2;
        }
    }

    /* UTF-8 bytes as they are: "\n" stays "\n" in files and pipes, and the console reads UTF-8. */
    _setmode(_fileno(stdout), _O_BINARY);
    SetConsoleOutputCP(CP_UTF8);

    if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED)))
    {
        fail(hr, "CoInitializeEx");
        return 1;
    }
    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&mme);
    if (FAILED(hr))
    {
        fail(hr, "CoCreateInstance(MMDeviceEnumerator)");
        CoUninitialize();
        return 1;
    }

    good = read_endpoints(mme, &list);
    IMMDeviceEnumerator_Release(mme);
    CoUninitialize();

    if (good)
    {
        if (json) print_json(&list);
        else print_table(&list);
        fflush(stdout);
    }

    for (i = 0; i < list.count; i++)
    {
        free(list.items[i].id);
        free(list.items[i].name);
    }
    free(list.items);
    return good ? 0 : 1;
}
