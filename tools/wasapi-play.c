/*
 * wasapi-play: plays a WAV file or a tone through WASAPI in shared mode, as a Windows program does.
 *
 *   wasapi-play [OPTIONS] FILE.wav
 *   wasapi-play [OPTIONS] --tone FREQ [--seconds S] [--rate R] [--channels C] [--format F]
 *
 * WAV files: PCM of 8, 16, 24 or 32 bits, 32-bit float, plain or WAVE_FORMAT_EXTENSIBLE. A format
 * other than the endpoint's mix format is converted by the engine (AUTOCONVERTPCM with
 * SRC_DEFAULT_QUALITY). The buffer is kept full: the program writes whenever there is room, waking
 * at least every half device period (polled) or on each of the engine's events (--event). At the
 * end it says how many frames it wrote and where IAudioClock's position ended, and how many times
 * it found the buffer empty with data still to play (a glitch of its own making, or the engine's).
 * Exit status: 0 when everything played, 1 when a call fails, 2 on a bad command line or file.
 */

#define COBJMACROS
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <windows.h>
#include <mmsystem.h>
#include <objbase.h>
#include <propsys.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static const double pi = 3.14159265358979323846;

enum sample_type { SAMPLE_INT, SAMPLE_FLOAT };

struct options
{
    const WCHAR *file;
    double tone;                /* Hz; 0: play file */
    double seconds;
    DWORD rate;                 /* 0: the mix format's */
    WORD channels;              /* 0: the mix format's */
    WORD bits;                  /* 0: the mix format's */
    enum sample_type type;
    BOOL event;
    double period_ms;           /* 0: the engine's default */
    const WCHAR *device;
    double volume;              /* < 0: leave it */
    BOOL latency;
};

/* Where the frames come from: a WAV file's data chunk, or a generated sine. */
struct source
{
    WAVEFORMATEXTENSIBLE fmt;
    enum sample_type type;
    HANDLE file;
    UINT64 bytes_left;          /* of the data chunk; ~0 to the end of the file */
    double freq, phase;
    UINT64 frames_left;
};

static volatile LONG interrupted;

/* ---- Messages ----------------------------------------------------------------------------------- */

static void error(const char *fmt, ...)
{
    va_list args;

    fputs("wasapi-play: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fflush(stderr);
}

static const char *hresult_name(HRESULT hr)
{
    static const struct { HRESULT hr; const char *name; } names[] =
    {
        {E_POINTER, "E_POINTER"}, {E_INVALIDARG, "E_INVALIDARG"}, {E_NOINTERFACE, "E_NOINTERFACE"},
        {E_NOTIMPL, "E_NOTIMPL"}, {E_OUTOFMEMORY, "E_OUTOFMEMORY"},
        {(HRESULT)0x80070490 /* E_NOTFOUND, not a constant in Wine's headers */, "E_NOTFOUND"},
        {AUDCLNT_E_NOT_INITIALIZED, "AUDCLNT_E_NOT_INITIALIZED"},
        {AUDCLNT_E_ALREADY_INITIALIZED, "AUDCLNT_E_ALREADY_INITIALIZED"},
        {AUDCLNT_E_WRONG_ENDPOINT_TYPE, "AUDCLNT_E_WRONG_ENDPOINT_TYPE"},
        {AUDCLNT_E_DEVICE_INVALIDATED, "AUDCLNT_E_DEVICE_INVALIDATED"},
        {AUDCLNT_E_NOT_STOPPED, "AUDCLNT_E_NOT_STOPPED"},
        {AUDCLNT_E_BUFFER_TOO_LARGE, "AUDCLNT_E_BUFFER_TOO_LARGE"},
        {AUDCLNT_E_OUT_OF_ORDER, "AUDCLNT_E_OUT_OF_ORDER"},
        {AUDCLNT_E_UNSUPPORTED_FORMAT, "AUDCLNT_E_UNSUPPORTED_FORMAT"},
        {AUDCLNT_E_INVALID_SIZE, "AUDCLNT_E_INVALID_SIZE"},
        {AUDCLNT_E_DEVICE_IN_USE, "AUDCLNT_E_DEVICE_IN_USE"},
        {AUDCLNT_E_BUFFER_OPERATION_PENDING, "AUDCLNT_E_BUFFER_OPERATION_PENDING"},
        {AUDCLNT_E_ENDPOINT_CREATE_FAILED, "AUDCLNT_E_ENDPOINT_CREATE_FAILED"},
        {AUDCLNT_E_SERVICE_NOT_RUNNING, "AUDCLNT_E_SERVICE_NOT_RUNNING"},
        {AUDCLNT_E_EVENTHANDLE_NOT_EXPECTED, "AUDCLNT_E_EVENTHANDLE_NOT_EXPECTED"},
        {AUDCLNT_E_EVENTHANDLE_NOT_SET, "AUDCLNT_E_EVENTHANDLE_NOT_SET"},
        {AUDCLNT_E_BUFFER_SIZE_ERROR, "AUDCLNT_E_BUFFER_SIZE_ERROR"},
        {AUDCLNT_E_INVALID_DEVICE_PERIOD, "AUDCLNT_E_INVALID_DEVICE_PERIOD"},
        {AUDCLNT_E_INVALID_STREAM_FLAG, "AUDCLNT_E_INVALID_STREAM_FLAG"},
        {AUDCLNT_E_ENGINE_PERIODICITY_LOCKED, "AUDCLNT_E_ENGINE_PERIODICITY_LOCKED"},
        {AUDCLNT_E_ENGINE_FORMAT_LOCKED, "AUDCLNT_E_ENGINE_FORMAT_LOCKED"},
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(names); i++) if (names[i].hr == hr) return names[i].name;
    return NULL;
}

/* "<what> failed: 0x88890008 (AUDCLNT_E_UNSUPPORTED_FORMAT)"; FALSE, for returning. */
static BOOL failed(const char *what, HRESULT hr)
{
    const char *name = hresult_name(hr);
    char text[256] = "";

    if (!name && FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, hr, 0, text,
                                sizeof(text), NULL))
        text[strcspn(text, "\r\n")] = 0;
    error("%s failed: 0x%08lx (%s)\n", what, hr, name ? name : text[0] ? text : "unknown");
    return FALSE;
}

static void describe_format(const WAVEFORMATEXTENSIBLE *fmt, enum sample_type type, char *buf, size_t size)
{
    _snprintf(buf, size, "%s%u, %lu Hz, %u channel%s",
              type == SAMPLE_FLOAT ? "float" : fmt->Format.wBitsPerSample == 8 ? "u" : "s",
              fmt->Samples.wValidBitsPerSample, fmt->Format.nSamplesPerSec, fmt->Format.nChannels,
              fmt->Format.nChannels == 1 ? "" : "s");
    buf[size - 1] = 0;
}

/* ---- The command line --------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("Usage: wasapi-play [OPTIONS] FILE.wav\n"
          "       wasapi-play [OPTIONS] --tone FREQ [--seconds S] [--rate R] [--channels C] [--format F]\n"
          "Plays through WASAPI in shared mode.\n"
          "\n"
          "  --tone FREQ      a sine of FREQ Hz at -6 dBFS instead of a file\n"
          "  --seconds S      the tone's length (default 2)\n"
          "  --rate R         the tone's rate (default: the endpoint's)\n"
          "  --channels C     the tone's channels (default: the endpoint's)\n"
          "  --format F       the tone's samples: s16, s24, s32 or float (default float)\n"
          "  --event          event-driven: write on the engine's events (default: polled)\n"
          "  --period MS      ask for an engine period of MS ms (IAudioClient3::InitializeSharedAudioStream\n"
          "                   where available)\n"
          "  --device ID      the endpoint with this id (default: the default render endpoint)\n"
          "  --volume V       the stream's volume, 0 to 1 (IAudioStreamVolume)\n"
          "  --latency        print the stream latency, the device periods and the buffer size\n"
          "  --help           this text\n", out);
}

/* Splits the command line as CommandLineToArgvW does, without shell32: arguments are separated by
 * blanks; "..." quotes; 2n backslashes before a quote make n and the quote counts, 2n+1 make n and
 * a literal quote; other backslashes are literal. The program name ends at the first blank or
 * closing quote. */
static WCHAR **split_command_line(const WCHAR *line, int *count)
{
    size_t len = wcslen(line);
    WCHAR **argv = malloc((len / 2 + 2) * sizeof(WCHAR *)), *buf = malloc((len + 1) * sizeof(WCHAR));
    WCHAR *out = buf;
    const WCHAR *p = line;
    BOOL quoted = FALSE;
    size_t slashes;
    int n = 0;

    if (!argv || !buf) return NULL;
    /* The program name. */
    argv[n++] = out;
    if (*p == '"') for (p++; *p && *p != '"'; ) *out++ = *p++;
    else while (*p && *p != ' ' && *p != '\t') *out++ = *p++;
    if (*p == '"') p++;
    *out++ = 0;

    for (;;)
    {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        argv[n++] = out;
        while (*p && (quoted || (*p != ' ' && *p != '\t')))
        {
            for (slashes = 0; *p == '\\'; p++) slashes++;
            if (*p == '"')
            {
                for (; slashes >= 2; slashes -= 2) *out++ = '\\';
                if (slashes) *out++ = '"';
                else if (quoted && p[1] == '"') *out++ = *++p;    /* "" inside quotes */
                else quoted = !quoted;
                p++;
            }
            else
            {
                for (; slashes; slashes--) *out++ = '\\';
                if (*p && (quoted || (*p != ' ' && *p != '\t'))) *out++ = *p++;
            }
        }
        *out++ = 0;
    }
    argv[n] = NULL;
    *count = n;
    return argv;
}

static BOOL parse_number(const WCHAR *arg, const WCHAR *text, double min, double max, double *value)
{
    WCHAR *end;

    if (!text)
    {
        error("%ls needs a value\n", arg);
        return FALSE;
    }
    *value = wcstod(text, &end);
    if (end == text || *end || !(*value >= min && *value <= max))
    {
        error("%ls: '%ls' is not a number from %g to %g\n", arg, text, min, max);
        return FALSE;
    }
    return TRUE;
}

/* 0 to go on, else the exit status. */
static int parse_options(int argc, WCHAR **argv, struct options *opts)
{
    const WCHAR *arg, *next;
    double value;
    int i;

    memset(opts, 0, sizeof(*opts));
    opts->seconds = 2.0;
    opts->type = SAMPLE_FLOAT;
    opts->volume = -1.0;

    for (i = 1; i < argc; i++)
    {
        arg = argv[i];
        next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!wcscmp(arg, L"--help") || !wcscmp(arg, L"-h"))
        {
            usage(stdout);
            return -1;
        }
        else if (!wcscmp(arg, L"--event")) opts->event = TRUE;
        else if (!wcscmp(arg, L"--latency")) opts->latency = TRUE;
        else if (!wcscmp(arg, L"--device"))
        {
            if (!(opts->device = next)) return error("--device needs an endpoint id\n"), 2;
            i++;
        }
        else if (!wcscmp(arg, L"--format"))
        {
            if (!next) return error("--format needs s16, s24, s32 or float\n"), 2;
            if (!wcscmp(next, L"float")) opts->type = SAMPLE_FLOAT, opts->bits = 32;
            else if (!wcscmp(next, L"s16")) opts->type = SAMPLE_INT, opts->bits = 16;
            else if (!wcscmp(next, L"s24")) opts->type = SAMPLE_INT, opts->bits = 24;
            else if (!wcscmp(next, L"s32")) opts->type = SAMPLE_INT, opts->bits = 32;
            else return error("--format: '%ls' is not s16, s24, s32 or float\n", next), 2;
            i++;
        }
        else if (!wcscmp(arg, L"--tone") || !wcscmp(arg, L"--seconds") || !wcscmp(arg, L"--rate")
                 || !wcscmp(arg, L"--channels") || !wcscmp(arg, L"--period") || !wcscmp(arg, L"--volume"))
        {
            BOOL good;

            if (!wcscmp(arg, L"--tone")) good = parse_number(arg, next, 1, 200000, &opts->tone);
            else if (!wcscmp(arg, L"--seconds")) good = parse_number(arg, next, 0.001, 86400, &opts->seconds);
            else if (!wcscmp(arg, L"--period")) good = parse_number(arg, next, 0.1, 1000, &opts->period_ms);
            else if (!wcscmp(arg, L"--volume")) good = parse_number(arg, next, 0, 1, &opts->volume);
            else if (!wcscmp(arg, L"--rate"))
            {
                if ((good = parse_number(arg, next, 1000, 768000, &value))) opts->rate = (DWORD)value;
            }
            else if ((good = parse_number(arg, next, 1, 32, &value))) opts->channels = (WORD)value;
            if (!good) return 2;
            i++;
        }
        else if (arg[0] == '-' && arg[1])
        {
            error("unknown option '%ls'\n", arg);
            usage(stderr);
            return 2;
        }
        else if (opts->file)
        {
            error("one file at a time: '%ls' and '%ls'\n", opts->file, arg);
            return 2;
        }
        else opts->file = arg;
    }

    if (!opts->file == !opts->tone)
    {
        error(opts->file ? "a file or --tone, not both\n"
                         : "nothing to play: give a WAV file or --tone FREQ\n");
        usage(stderr);
        return 2;
    }
    if (opts->file && (opts->rate || opts->channels || opts->bits))
    {
        error("--rate, --channels and --format are for --tone; a file has its own format\n");
        return 2;
    }
    return 0;
}

/* ---- Sources ------------------------------------------------------------------------------------------ */

static DWORD default_mask(WORD channels)
{
    static const DWORD masks[] =
    {
        0, KSAUDIO_SPEAKER_MONO, KSAUDIO_SPEAKER_STEREO, KSAUDIO_SPEAKER_STEREO | SPEAKER_LOW_FREQUENCY,
        KSAUDIO_SPEAKER_QUAD, KSAUDIO_SPEAKER_QUAD | SPEAKER_LOW_FREQUENCY, KSAUDIO_SPEAKER_5POINT1,
        KSAUDIO_SPEAKER_5POINT1 | SPEAKER_BACK_CENTER, KSAUDIO_SPEAKER_7POINT1_SURROUND,
    };
    return channels < ARRAY_SIZE(masks) ? masks[channels] : 0;
}

/* The WAVE_FORMAT_EXTENSIBLE form of a format, which WASAPI takes for any sample width. */
static void make_format(WAVEFORMATEXTENSIBLE *fmt, enum sample_type type, WORD bits, WORD valid_bits,
                        DWORD rate, WORD channels, DWORD mask)
{
    memset(fmt, 0, sizeof(*fmt));
    fmt->Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
    fmt->Format.nChannels = channels;
    fmt->Format.nSamplesPerSec = rate;
    fmt->Format.wBitsPerSample = bits;
    fmt->Format.nBlockAlign = channels * bits / 8;
    fmt->Format.nAvgBytesPerSec = rate * fmt->Format.nBlockAlign;
    fmt->Format.cbSize = sizeof(*fmt) - sizeof(fmt->Format);
    fmt->Samples.wValidBitsPerSample = valid_bits;
    fmt->dwChannelMask = mask;
    fmt->SubFormat = type == SAMPLE_FLOAT ? KSDATAFORMAT_SUBTYPE_IEEE_FLOAT : KSDATAFORMAT_SUBTYPE_PCM;
}

static BOOL read_exact(HANDLE file, void *buf, DWORD size)
{
    DWORD done;

    return ReadFile(file, buf, size, &done, NULL) && done == size;
}

/* Opens a RIFF/WAVE file and finds its format and data; FALSE after a message. */
static BOOL open_wav(const WCHAR *path, struct source *src)
{
    WAVEFORMATEXTENSIBLE wfx;
    BYTE header[12], chunk[8];
    DWORD size, fmt_size = 0;
    LARGE_INTEGER skip;
    WORD tag, bits, valid;
    BOOL have_fmt = FALSE;

    memset(src, 0, sizeof(*src));
    src->file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN,
                            NULL);
    if (src->file == INVALID_HANDLE_VALUE)
    {
        error("cannot open '%ls': error %lu\n", path, GetLastError());
        return FALSE;
    }
    if (!read_exact(src->file, header, sizeof(header)) || memcmp(header, "RIFF", 4)
        || memcmp(header + 8, "WAVE", 4))
    {
        error("'%ls' is not a RIFF/WAVE file\n", path);
        return FALSE;
    }
    for (;;)
    {
        if (!read_exact(src->file, chunk, sizeof(chunk)))
        {
            error("'%ls': no %s chunk\n", path, have_fmt ? "data" : "fmt");
            return FALSE;
        }
        memcpy(&size, chunk + 4, sizeof(size));
        if (!memcmp(chunk, "fmt ", 4))
        {
            memset(&wfx, 0, sizeof(wfx));
            fmt_size = min(size, sizeof(wfx));
            if (size < 16 || !read_exact(src->file, &wfx, fmt_size))
            {
                error("'%ls': a bad fmt chunk\n", path);
                return FALSE;
            }
            size -= fmt_size;
            have_fmt = TRUE;
        }
        else if (!memcmp(chunk, "data", 4))
        {
            if (!have_fmt)
            {
                error("'%ls': data before the fmt chunk\n", path);
                return FALSE;
            }
            /* 0 or ~0: written by a program that could not come back to it; read to the end. */
            src->bytes_left = size && size != ~0u ? size : ~(UINT64)0;
            break;
        }
        skip.QuadPart = size + (size & 1);
        if (!SetFilePointerEx(src->file, skip, NULL, FILE_CURRENT))
        {
            error("'%ls': cannot skip a chunk\n", path);
            return FALSE;
        }
    }

    tag = wfx.Format.wFormatTag;
    bits = wfx.Format.wBitsPerSample;
    valid = bits;
    if (tag == WAVE_FORMAT_EXTENSIBLE)
    {
        if (fmt_size < sizeof(wfx) || wfx.Format.cbSize < 22)
        {
            error("'%ls': a WAVE_FORMAT_EXTENSIBLE fmt chunk too short\n", path);
            return FALSE;
        }
        if (IsEqualGUID(&wfx.SubFormat, &KSDATAFORMAT_SUBTYPE_PCM)) tag = WAVE_FORMAT_PCM;
        else if (IsEqualGUID(&wfx.SubFormat, &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)) tag = WAVE_FORMAT_IEEE_FLOAT;
        if (wfx.Samples.wValidBitsPerSample && wfx.Samples.wValidBitsPerSample <= bits)
            valid = wfx.Samples.wValidBitsPerSample;
    }
    if (tag == WAVE_FORMAT_PCM && (bits == 8 || bits == 16 || bits == 24 || bits == 32)) src->type = SAMPLE_INT;
    else if (tag == WAVE_FORMAT_IEEE_FLOAT && bits == 32) src->type = SAMPLE_FLOAT;
    else
    {
        error("'%ls': format tag %#x with %u bits; this plays PCM of 8, 16, 24 or 32 bits and 32-bit float\n",
              path, wfx.Format.wFormatTag, bits);
        return FALSE;
    }
    if (!wfx.Format.nChannels || !wfx.Format.nSamplesPerSec
        || wfx.Format.nBlockAlign != wfx.Format.nChannels * bits / 8)
    {
        error("'%ls': %u channels at %lu Hz with a block of %u bytes: inconsistent\n", path,
              wfx.Format.nChannels, wfx.Format.nSamplesPerSec, wfx.Format.nBlockAlign);
        return FALSE;
    }
    make_format(&src->fmt, src->type, bits, valid, wfx.Format.nSamplesPerSec, wfx.Format.nChannels,
                wfx.Format.wFormatTag == WAVE_FORMAT_EXTENSIBLE ? wfx.dwChannelMask
                                                                : default_mask(wfx.Format.nChannels));
    return TRUE;
}

static void open_tone(const struct options *opts, const WAVEFORMATEXTENSIBLE *mix, struct source *src)
{
    DWORD rate = opts->rate ? opts->rate : mix->Format.nSamplesPerSec;
    WORD channels = opts->channels ? opts->channels : mix->Format.nChannels;
    WORD bits = opts->bits ? opts->bits : 32;

    memset(src, 0, sizeof(*src));
    src->file = INVALID_HANDLE_VALUE;
    src->type = opts->type;
    src->freq = opts->tone;
    src->frames_left = (UINT64)(opts->seconds * rate + 0.5);
    make_format(&src->fmt, src->type, bits, bits, rate, channels,
                channels == mix->Format.nChannels ? mix->dwChannelMask : default_mask(channels));
}

/* Up to frames frames into buf; how many there were. */
static UINT32 source_read(struct source *src, BYTE *buf, UINT32 frames)
{
    const UINT32 block = src->fmt.Format.nBlockAlign, channels = src->fmt.Format.nChannels;
    UINT32 i, c;
    DWORD done;
    double v;
    INT32 s;

    if (src->file != INVALID_HANDLE_VALUE)
    {
        if ((UINT64)frames * block > src->bytes_left) frames = src->bytes_left / block;
        if (!frames || !ReadFile(src->file, buf, frames * block, &done, NULL)) return 0;
        frames = done / block;
        if (src->bytes_left != ~(UINT64)0) src->bytes_left -= (UINT64)frames * block;
        return frames;
    }

    if (frames > src->frames_left) frames = src->frames_left;
    for (i = 0; i < frames; i++)
    {
        v = 0.5 * sin(2 * pi * src->phase);
        src->phase += src->freq / src->fmt.Format.nSamplesPerSec;
        src->phase -= floor(src->phase);
        for (c = 0; c < channels; c++, buf += block / channels)
        {
            if (src->type == SAMPLE_FLOAT)
            {
                float f = v;
                memcpy(buf, &f, sizeof(f));
                continue;
            }
            switch (src->fmt.Format.wBitsPerSample)
            {
            case 16: s = lrint(v * 32767.0); memcpy(buf, &s, 2); break;
            case 24: s = lrint(v * 8388607.0); memcpy(buf, &s, 3); break;
            default: s = lrint(v * 2147483647.0); memcpy(buf, &s, 4); break;
            }
        }
    }
    src->frames_left -= frames;
    return frames;
}

static BOOL same_format(const WAVEFORMATEXTENSIBLE *a, enum sample_type type, const WAVEFORMATEXTENSIBLE *mix)
{
    enum sample_type mix_type = IsEqualGUID(&mix->SubFormat, &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)
                                ? SAMPLE_FLOAT : SAMPLE_INT;

    return mix->Format.wFormatTag == WAVE_FORMAT_EXTENSIBLE && type == mix_type
           && a->Format.wBitsPerSample == mix->Format.wBitsPerSample
           && a->Samples.wValidBitsPerSample == mix->Samples.wValidBitsPerSample
           && a->Format.nSamplesPerSec == mix->Format.nSamplesPerSec
           && a->Format.nChannels == mix->Format.nChannels;
}

/* ---- Playing ------------------------------------------------------------------------------------------ */

struct player
{
    IAudioClient *ac;
    IAudioRenderClient *rc;
    IAudioClock *clock;
    HANDLE event;
    UINT32 buffer;              /* frames */
    REFERENCE_TIME period;      /* the device period, 100 ns */
    UINT64 written;
    UINT32 dry;                 /* times the buffer was found empty with frames still to come */
    BOOL started;
};

static BOOL CALLBACK on_ctrl(DWORD type)
{
    (void)type;
    InterlockedExchange(&interrupted, 1);
    return TRUE;
}

/* Initializes with IAudioClient3's period when asked and possible; else with a buffer of three
 * periods (--period), 100 ms (polled) or the engine's choice (event-driven). */
static BOOL initialize(IMMDevice *dev, const struct options *opts, const struct source *src, DWORD flags,
                       struct player *p)
{
    const WAVEFORMATEX *fmt = &src->fmt.Format;
    UINT32 def_frames, unit, min_frames, max_frames, frames;
    REFERENCE_TIME duration;
    IAudioClient3 *ac3;
    HRESULT hr;

    if (opts->period_ms && SUCCEEDED(IAudioClient_QueryInterface(p->ac, &IID_IAudioClient3, (void **)&ac3)))
    {
        hr = IAudioClient3_GetSharedModeEnginePeriod(ac3, fmt, &def_frames, &unit, &min_frames, &max_frames);
        if (hr == S_OK && unit)
        {
            /* The nearest period the engine has: a multiple of its fundamental one, within its range. */
            frames = (UINT32)(opts->period_ms * fmt->nSamplesPerSec / 1000 / unit + 0.5) * unit;
            frames = max(min_frames, min(max_frames, frames));
            if (frames != (UINT32)(opts->period_ms * fmt->nSamplesPerSec / 1000 + 0.5))
                printf("period: %.2f ms is not available (%u to %u frames, in steps of %u): using %u frames\n",
                       opts->period_ms, min_frames, max_frames, unit, frames);
            hr = IAudioClient3_InitializeSharedAudioStream(ac3, flags, frames, fmt, NULL);
            IAudioClient3_Release(ac3);
            if (hr == S_OK)
            {
                printf("period: %u frames (%.2f ms), through IAudioClient3::InitializeSharedAudioStream\n",
                       frames, frames * 1000.0 / fmt->nSamplesPerSec);
                return TRUE;
            }
            failed("IAudioClient3::InitializeSharedAudioStream", hr);
            /* A client whose initialization failed is not used again. */
            IAudioClient_Release(p->ac);
            p->ac = NULL;
            hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&p->ac);
            if (FAILED(hr)) return failed("IMMDevice::Activate(IAudioClient)", hr);
        }
        else
        {
            IAudioClient3_Release(ac3);
            printf("period: IAudioClient3::GetSharedModeEnginePeriod gave 0x%08lx; using Initialize\n", hr);
        }
    }

    if (opts->event) duration = 0;  /* Windows' rule: the engine sizes event-driven buffers */
    else if (opts->period_ms) duration = max((REFERENCE_TIME)(opts->period_ms * 10000), 30000) * 3;
    else duration = 1000000;        /* 100 ms: ample for a program woken every 5 ms */
    hr = IAudioClient_Initialize(p->ac, AUDCLNT_SHAREMODE_SHARED, flags, duration, 0, fmt, NULL);
    return SUCCEEDED(hr) || failed("IAudioClient::Initialize", hr);
}

/* Writes what fits; FALSE on failure. Sets *end when the source is exhausted. */
static BOOL fill(struct player *p, struct source *src, BOOL *end)
{
    UINT32 padding, room, got;
    BYTE *data;
    HRESULT hr;

    hr = IAudioClient_GetCurrentPadding(p->ac, &padding);
    if (FAILED(hr)) return failed("IAudioClient::GetCurrentPadding", hr);
    if (p->started && !padding && !*end) p->dry++;
    if (*end || !(room = p->buffer - padding)) return TRUE;
    hr = IAudioRenderClient_GetBuffer(p->rc, room, &data);
    if (FAILED(hr)) return failed("IAudioRenderClient::GetBuffer", hr);
    got = source_read(src, data, room);
    hr = IAudioRenderClient_ReleaseBuffer(p->rc, got, 0);
    if (FAILED(hr)) return failed("IAudioRenderClient::ReleaseBuffer", hr);
    p->written += got;
    if (got < room) *end = TRUE;
    return TRUE;
}

static void print_latency(struct player *p, const struct source *src)
{
    REFERENCE_TIME latency = 0, def_period = 0, min_period = 0;
    WAVEFORMATEX *fmt = NULL;
    IAudioClient3 *ac3;
    UINT32 frames;

    if (SUCCEEDED(IAudioClient_GetStreamLatency(p->ac, &latency)))
        printf("stream latency: %.2f ms\n", latency / 10000.0);
    if (SUCCEEDED(IAudioClient_GetDevicePeriod(p->ac, &def_period, &min_period)))
        printf("device period: default %.2f ms, minimum %.2f ms\n", def_period / 10000.0, min_period / 10000.0);
    printf("buffer: %u frames, %.2f ms\n", p->buffer, p->buffer * 1000.0 / src->fmt.Format.nSamplesPerSec);
    if (SUCCEEDED(IAudioClient_QueryInterface(p->ac, &IID_IAudioClient3, (void **)&ac3)))
    {
        if (SUCCEEDED(IAudioClient3_GetCurrentSharedModeEnginePeriod(ac3, &fmt, &frames)) && fmt)
        {
            printf("engine period: %u frames, %.2f ms\n", frames, frames * 1000.0 / fmt->nSamplesPerSec);
            CoTaskMemFree(fmt);
        }
        IAudioClient3_Release(ac3);
    }
}

static BOOL set_volume(struct player *p, double volume, WORD channels)
{
    IAudioStreamVolume *sv;
    float levels[32];
    HRESULT hr;
    WORD i;

    hr = IAudioClient_GetService(p->ac, &IID_IAudioStreamVolume, (void **)&sv);
    if (FAILED(hr)) return failed("IAudioClient::GetService(IAudioStreamVolume)", hr);
    for (i = 0; i < channels && i < ARRAY_SIZE(levels); i++) levels[i] = volume;
    hr = IAudioStreamVolume_SetAllVolumes(sv, channels, levels);
    IAudioStreamVolume_Release(sv);
    return SUCCEEDED(hr) || failed("IAudioStreamVolume::SetAllVolumes", hr);
}

/* Waits until IAudioClock says every frame written was heard, or until the deadline (tick count). */
static void wait_until_heard(struct player *p, DWORD rate, DWORD deadline)
{
    UINT64 freq = 0, pos = 0;

    if (FAILED(IAudioClock_GetFrequency(p->clock, &freq)) || !freq) return;
    /* pos / freq seconds heard against written / rate seconds written. */
    while (!interrupted && (LONG)(deadline - GetTickCount()) > 0
           && SUCCEEDED(IAudioClock_GetPosition(p->clock, &pos, NULL)) && pos * rate < p->written * freq)
        Sleep(2);
}

static BOOL play(struct player *p, struct source *src, const struct options *opts)
{
    double period_ms = opts->period_ms ? opts->period_ms : p->period / 10000.0;
    double buffer_ms = p->buffer * 1000.0 / src->fmt.Format.nSamplesPerSec;
    /* Woken at least every half period, and often enough for a small buffer. */
    DWORD wake = max(1, (DWORD)min(period_ms / 2, buffer_ms / 3)), deadline;
    UINT32 padding = 0;
    BOOL end = FALSE;
    HRESULT hr;

    /* The buffer full before Start. */
    if (!fill(p, src, &end)) return FALSE;
    hr = IAudioClient_Start(p->ac);
    if (FAILED(hr)) return failed("IAudioClient::Start", hr);
    p->started = TRUE;

    while (!end && !interrupted)
    {
        if (opts->event)
        {
            /* A period's event, or two periods without one: fill anyway. */
            WaitForSingleObject(p->event, wake * 4);
        }
        else Sleep(wake);
        if (!fill(p, src, &end)) return FALSE;
    }

    /* What is written plays out; at most the buffer's length and a second more. */
    deadline = GetTickCount() + MulDiv(p->buffer, 1000, src->fmt.Format.nSamplesPerSec) + 1000;
    while (!interrupted && SUCCEEDED(hr = IAudioClient_GetCurrentPadding(p->ac, &padding)) && padding
           && (LONG)(deadline - GetTickCount()) > 0)
        Sleep(wake);
    if (FAILED(hr)) failed("IAudioClient::GetCurrentPadding", hr);
    else if (padding && !interrupted) error("%u frames were still to play %lu ms after the end\n", padding,
                                            MulDiv(p->buffer, 1000, src->fmt.Format.nSamplesPerSec) + 1000);
    /* The engine has taken everything, but the device still holds its last periods: stopping (or
     * exiting) now would cut them. Wait until the clock says they were heard, at most 500 ms. */
    if (SUCCEEDED(hr) && !padding) wait_until_heard(p, src->fmt.Format.nSamplesPerSec, GetTickCount() + 500);
    return SUCCEEDED(hr) && (!padding || interrupted);
}

static void report(struct player *p, const struct source *src)
{
    UINT64 freq = 0, pos = 0;
    HRESULT hr;

    const double rate = src->fmt.Format.nSamplesPerSec;

    printf("frames written: %.0f (%.3f s)\n", (double)p->written, p->written / rate);
    if (SUCCEEDED(hr = IAudioClock_GetFrequency(p->clock, &freq)) && freq
        && SUCCEEDED(hr = IAudioClock_GetPosition(p->clock, &pos, NULL)))
        printf("final position: %.0f at %.0f Hz: %.0f frames (%.3f s)\n", (double)pos, (double)freq,
               (double)pos * rate / freq, (double)pos / freq);
    else failed("IAudioClock::GetPosition", hr);
    if (p->dry) printf("the buffer ran dry %u time%s\n", p->dry, p->dry == 1 ? "" : "s");
}

/* The endpoint, a client on it, its mix format and device period. */
static BOOL open_endpoint(const struct options *opts, IMMDevice **dev, struct player *p,
                          WAVEFORMATEXTENSIBLE **mix)
{
    IMMDeviceEnumerator *mme;
    HRESULT hr;

    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&mme);
    if (FAILED(hr)) return failed("CoCreateInstance(MMDeviceEnumerator)", hr);
    if (opts->device) hr = IMMDeviceEnumerator_GetDevice(mme, opts->device, dev);
    else hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, dev);
    IMMDeviceEnumerator_Release(mme);
    if (FAILED(hr) && opts->device)
    {
        error("no endpoint '%ls': 0x%08lx (%s)\n", opts->device, hr,
              hresult_name(hr) ? hresult_name(hr) : "unknown");
        return FALSE;
    }
    if (FAILED(hr))
        return failed(hr == E_NOTFOUND ? "finding a render endpoint (there is none)"
                                       : "IMMDeviceEnumerator::GetDefaultAudioEndpoint", hr);

    hr = IMMDevice_Activate(*dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&p->ac);
    if (FAILED(hr)) return failed("IMMDevice::Activate(IAudioClient)", hr);
    hr = IAudioClient_GetMixFormat(p->ac, (WAVEFORMATEX **)mix);
    if (FAILED(hr)) return failed("IAudioClient::GetMixFormat", hr);
    if ((*mix)->Format.wFormatTag != WAVE_FORMAT_EXTENSIBLE)
    {
        error("the mix format is not WAVE_FORMAT_EXTENSIBLE\n");
        return FALSE;
    }
    hr = IAudioClient_GetDevicePeriod(p->ac, &p->period, NULL);
    return SUCCEEDED(hr) || failed("IAudioClient::GetDevicePeriod", hr);
}

/* The stream, initialized for the source, with its services. */
static BOOL open_stream(IMMDevice *dev, const struct options *opts, const struct source *src,
                        const WAVEFORMATEXTENSIBLE *mix, struct player *p)
{
    DWORD flags = 0;
    char desc[64];
    HRESULT hr;

    describe_format(&src->fmt, src->type, desc, sizeof(desc));
    if (!same_format(&src->fmt, src->type, mix))
    {
        flags |= AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM | AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY;
        printf("playing %s, converted to the endpoint's %lu Hz, %u channels\n", desc,
               mix->Format.nSamplesPerSec, mix->Format.nChannels);
    }
    else printf("playing %s, the endpoint's format\n", desc);
    if (opts->event)
    {
        flags |= AUDCLNT_STREAMFLAGS_EVENTCALLBACK;
        if (!(p->event = CreateEventW(NULL, FALSE, FALSE, NULL))) return failed("CreateEvent", E_OUTOFMEMORY);
    }

    if (!initialize(dev, opts, src, flags, p)) return FALSE;
    if (opts->event && FAILED(hr = IAudioClient_SetEventHandle(p->ac, p->event)))
        return failed("IAudioClient::SetEventHandle", hr);
    hr = IAudioClient_GetBufferSize(p->ac, &p->buffer);
    if (FAILED(hr)) return failed("IAudioClient::GetBufferSize", hr);
    hr = IAudioClient_GetService(p->ac, &IID_IAudioRenderClient, (void **)&p->rc);
    if (FAILED(hr)) return failed("IAudioClient::GetService(IAudioRenderClient)", hr);
    hr = IAudioClient_GetService(p->ac, &IID_IAudioClock, (void **)&p->clock);
    if (FAILED(hr)) return failed("IAudioClient::GetService(IAudioClock)", hr);
    return opts->volume < 0 || set_volume(p, opts->volume, src->fmt.Format.nChannels);
}

static int run(const struct options *opts)
{
    WAVEFORMATEXTENSIBLE *mix = NULL;
    struct player p = {0};
    IMMDevice *dev = NULL;
    struct source src;
    HRESULT hr;
    int status = 1;

    src.file = INVALID_HANDLE_VALUE;
    if (opts->file && !open_wav(opts->file, &src))
        status = 2;
    else if (open_endpoint(opts, &dev, &p, &mix))
    {
        if (opts->tone) open_tone(opts, mix, &src);
        if (open_stream(dev, opts, &src, mix, &p))
        {
            if (opts->latency) print_latency(&p, &src);
            SetConsoleCtrlHandler(on_ctrl, TRUE);
            if (play(&p, &src, opts)) status = 0;
            if (interrupted) printf("interrupted\n");
            report(&p, &src);
            if (FAILED(hr = IAudioClient_Stop(p.ac)))
            {
                failed("IAudioClient::Stop", hr);
                status = 1;
            }
        }
    }

    if (p.clock) IAudioClock_Release(p.clock);
    if (p.rc) IAudioRenderClient_Release(p.rc);
    if (p.ac) IAudioClient_Release(p.ac);
    if (p.event) CloseHandle(p.event);
    CoTaskMemFree(mix);
    if (dev) IMMDevice_Release(dev);
    if (src.file != INVALID_HANDLE_VALUE) CloseHandle(src.file);
    return status;
}

int main(void)
{
    struct options opts;
    WCHAR **argv;
    int argc, status;
    HRESULT hr;

    if (!(argv = split_command_line(GetCommandLineW(), &argc)))
    {
        error("out of memory\n");
        return 1;
    }
    if ((status = parse_options(argc, argv, &opts))) return status < 0 ? 0 : status;

    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (FAILED(hr)) return failed("CoInitializeEx", hr), 1;
    /* Sleep's resolution down to 1 ms, for waking every half period. */
    timeBeginPeriod(1);
    status = run(&opts);
    timeEndPeriod(1);
    CoUninitialize();
    return status;
}
