/*
 * wasapi-record: records an endpoint into a WAV file through WASAPI in shared mode, as a Windows
 * program does: the default capture endpoint, one named by its id, or with --loopback what a render
 * endpoint plays, or with --process what a Windows process and its children play (process loopback,
 * as Windows 10 2004 has it; with --exclude everything but them).
 *
 *   wasapi-record [--device ID] [--loopback] [--process PID [--exclude]] [--seconds S] [--rate R]
 *                 [--channels C] [--format s16|float32] [--event] OUT.wav
 *
 * The mix format unless --rate, --channels or --format ask another, which the engine converts to
 * (a process loopback has no mix format: 48 kHz stereo float32 stands in)
 * (AUTOCONVERTPCM with SRC_DEFAULT_QUALITY). Polled every half period, or woken by the engine's
 * event (--event). At the end it says what came: packets, frames, the position of the first and
 * the last packet, and the packets that said AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY or _SILENT.
 * Exit status: 0 when the recording is complete, 1 when a call fails, 2 on a bad command line.
 */

#define COBJMACROS
#define CONST_VTABLE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <objbase.h>
#include <propsys.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include "activate_async.h"
#include "process_loopback.h"

#define REFTIMES_PER_SEC 10000000

struct options
{
    const char *out;
    const char *device;         /* an endpoint id; NULL: the default */
    BOOL loopback;
    DWORD process;              /* process loopback of this Windows process; 0: none */
    BOOL exclude;
    BOOL event;
    double seconds;
    DWORD rate;                 /* 0: the mix format's */
    WORD channels;              /* 0: the mix format's */
    int is_float;               /* -1: the mix format's */
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: wasapi-record [OPTIONS] OUT.wav\n"
            "  --device ID      the endpoint with this id (default: the default capture endpoint, or\n"
            "                   with --loopback the default render endpoint)\n"
            "  --loopback       record what the render endpoint plays (AUDCLNT_STREAMFLAGS_LOOPBACK)\n"
            "  --process PID    record what the Windows process PID and its children play (process\n"
            "                   loopback: PulseAudio and pipewire-pulse only)\n"
            "  --exclude        with --process: everything else the default render endpoint plays\n"
            "  --seconds S      how long (default 5)\n"
            "  --rate R, --channels C, --format s16|float32\n"
            "                   the format to record in (default: the mix format's)\n"
            "  --event          wait for the engine's event instead of polling\n");
}

static int parse_options(int argc, char **argv, struct options *opts)
{
    int i;

    memset(opts, 0, sizeof(*opts));
    opts->seconds = 5;
    opts->is_float = -1;
    for (i = 1; i < argc; i++)
    {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
        {
            usage(stdout);
            exit(0);
        }
        else if (!strcmp(arg, "--loopback")) opts->loopback = TRUE;
        else if (!strcmp(arg, "--exclude")) opts->exclude = TRUE;
        else if (next && !strcmp(arg, "--process") && (opts->process = strtoul(argv[++i], NULL, 10))) ;
        else if (!strcmp(arg, "--event")) opts->event = TRUE;
        else if (next && !strcmp(arg, "--device")) opts->device = argv[++i];
        else if (next && !strcmp(arg, "--seconds") && (opts->seconds = atof(argv[++i])) > 0 && opts->seconds <= 86400) ;
        else if (next && !strcmp(arg, "--rate") && (opts->rate = atoi(argv[++i])) >= 1000 && opts->rate <= 768000) ;
        else if (next && !strcmp(arg, "--channels") && (opts->channels = atoi(argv[++i])) >= 1 && opts->channels <= 18) ;
        else if (next && !strcmp(arg, "--format") && (!strcmp(next, "s16") || !strcmp(next, "float32")))
            opts->is_float = !strcmp(argv[++i], "float32");
        else if (arg[0] != '-' && !opts->out) opts->out = arg;
        else
        {
            fprintf(stderr, "wasapi-record: bad option or value: %s\n", arg);
            return 2;
        }
    }
    if (!opts->out || (opts->exclude && !opts->process) || (opts->process && (opts->device || opts->loopback)))
    {
        usage(stderr);
        return 2;
    }
    return 0;
}

static BOOL failed(const char *what, HRESULT hr)
{
    if (SUCCEEDED(hr)) return FALSE;
    fprintf(stderr, "wasapi-record: %s failed: 0x%08lx\n", what, hr);
    return TRUE;
}

/* A process loopback client of opts->process's tree (or of all but it), as Microsoft's sample makes it. */
static HRESULT activate_process(const struct options *opts, IAudioClient **client)
{
    activate_async_func activate;
    AUDIOCLIENT_ACTIVATION_PARAMS params;
    HRESULT hr, result;
    PROPVARIANT blob;

    *client = NULL;
    params.ActivationType = AUDIOCLIENT_ACTIVATION_TYPE_PROCESS_LOOPBACK;
    params.ProcessLoopbackParams.TargetProcessId = opts->process;
    params.ProcessLoopbackParams.ProcessLoopbackMode = opts->exclude ? PROCESS_LOOPBACK_MODE_EXCLUDE_TARGET_PROCESS_TREE
                                                                    : PROCESS_LOOPBACK_MODE_INCLUDE_TARGET_PROCESS_TREE;
    PropVariantInit(&blob);
    blob.vt = VT_BLOB;
    blob.blob.cbSize = sizeof(params);
    blob.blob.pBlobData = (BYTE *)&params;
    /* Wine ships no import library of mmdevapi. */
    if (!(activate = (void *)GetProcAddress(LoadLibraryW(L"mmdevapi.dll"), "ActivateAudioInterfaceAsync")))
        return HRESULT_FROM_WIN32(GetLastError());
    hr = activate_audio_interface(activate, VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK, &IID_IAudioClient, &blob, INFINITE,
                                  &result, (IUnknown **)client, NULL);
    return FAILED(hr) ? hr : result;
}

/* The format to record in: the mix format, or what the options ask, as WAVEFORMATEXTENSIBLE. */
static void record_format(const WAVEFORMATEX *mix, const struct options *opts, WAVEFORMATEXTENSIBLE *fmt)
{
    const WAVEFORMATEXTENSIBLE *mix_ext = (const WAVEFORMATEXTENSIBLE *)mix;
    BOOL mix_float = mix->wFormatTag == WAVE_FORMAT_IEEE_FLOAT
        || (mix->wFormatTag == WAVE_FORMAT_EXTENSIBLE && IsEqualGUID(&mix_ext->SubFormat, &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT));
    BOOL is_float = opts->is_float < 0 ? mix_float : opts->is_float;

    memset(fmt, 0, sizeof(*fmt));
    fmt->Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
    fmt->Format.nChannels = opts->channels ? opts->channels : mix->nChannels;
    fmt->Format.nSamplesPerSec = opts->rate ? opts->rate : mix->nSamplesPerSec;
    fmt->Format.wBitsPerSample = opts->is_float < 0 && !mix_float ? mix->wBitsPerSample : is_float ? 32 : 16;
    fmt->Format.nBlockAlign = fmt->Format.nChannels * fmt->Format.wBitsPerSample / 8;
    fmt->Format.nAvgBytesPerSec = fmt->Format.nBlockAlign * fmt->Format.nSamplesPerSec;
    fmt->Format.cbSize = sizeof(*fmt) - sizeof(fmt->Format);
    fmt->Samples.wValidBitsPerSample = fmt->Format.wBitsPerSample;
    fmt->dwChannelMask = fmt->Format.nChannels == mix->nChannels && mix->wFormatTag == WAVE_FORMAT_EXTENSIBLE
                         ? mix_ext->dwChannelMask : 0;
    fmt->SubFormat = is_float ? KSDATAFORMAT_SUBTYPE_IEEE_FLOAT : KSDATAFORMAT_SUBTYPE_PCM;
}

/* A RIFF header for fmt with data_bytes of data. */
static BOOL write_header(HANDLE file, const WAVEFORMATEXTENSIBLE *fmt, DWORD data_bytes)
{
    BYTE header[12 + 8 + sizeof(*fmt) + 8];
    DWORD fmt_bytes = sizeof(*fmt), written, riff = sizeof(header) - 8 + data_bytes;

    memcpy(header, "RIFF", 4);
    memcpy(header + 4, &riff, 4);
    memcpy(header + 8, "WAVEfmt ", 8);
    memcpy(header + 16, &fmt_bytes, 4);
    memcpy(header + 20, fmt, sizeof(*fmt));
    memcpy(header + 20 + sizeof(*fmt), "data", 4);
    memcpy(header + 24 + sizeof(*fmt), &data_bytes, 4);
    SetFilePointer(file, 0, NULL, FILE_BEGIN);
    return WriteFile(file, header, sizeof(header), &written, NULL) && written == sizeof(header);
}

static int record(const struct options *opts)
{
    ULONGLONG packets = 0, frames_total = 0, discontinuities = 0, silent = 0;
    UINT64 first_position = 0, last_position = 0, position, qpc;
    IAudioCaptureClient *capture = NULL;
    IMMDeviceEnumerator *mme = NULL;
    IAudioClient *client = NULL;
    WAVEFORMATEX *mix = NULL;
    WAVEFORMATEXTENSIBLE fmt;
    REFERENCE_TIME period;
    IMMDevice *dev = NULL;
    HANDLE file, event = NULL;
    DWORD flags, start, written, stream_flags;
    WCHAR path[MAX_PATH], id[512];
    UINT32 frames;
    BYTE *data;
    HRESULT hr;
    int ret = 1;

    MultiByteToWideChar(CP_ACP, 0, opts->out, -1, path, MAX_PATH);
    file = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    if (file == INVALID_HANDLE_VALUE)
    {
        fprintf(stderr, "wasapi-record: cannot create %s: %lu\n", opts->out, GetLastError());
        return 1;
    }
    if (failed("CoCreateInstance(MMDeviceEnumerator)", CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL,
               CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator, (void **)&mme)))
        goto done;
    if (opts->process)
    {
        /* No mix format (E_NOTIMPL, as on Windows): the program gives its own. */
        if (failed("ActivateAudioInterfaceAsync(VAD\\Process_Loopback)", activate_process(opts, &client))
            || !(mix = CoTaskMemAlloc(sizeof(*mix))))
            goto done;
        mix->wFormatTag = WAVE_FORMAT_IEEE_FLOAT;
        mix->nChannels = 2;
        mix->nSamplesPerSec = 48000;
        mix->wBitsPerSample = 32;
        mix->nBlockAlign = 8;
        mix->nAvgBytesPerSec = 48000 * 8;
        mix->cbSize = 0;
    }
    else
    {
        if (opts->device)
        {
            MultiByteToWideChar(CP_ACP, 0, opts->device, -1, id, ARRAYSIZE(id));
            hr = IMMDeviceEnumerator_GetDevice(mme, id, &dev);
        }
        else hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, opts->loopback ? eRender : eCapture, eConsole, &dev);
        if (failed("finding the endpoint", hr)
            || failed("IMMDevice::Activate", IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL,
                                                                (void **)&client))
            || failed("IAudioClient::GetMixFormat", IAudioClient_GetMixFormat(client, &mix)))
            goto done;
    }
    if (failed("IAudioClient::GetDevicePeriod", IAudioClient_GetDevicePeriod(client, &period, NULL))) goto done;
    record_format(mix, opts, &fmt);
    stream_flags = AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM | AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY
        | (opts->loopback || opts->process ? AUDCLNT_STREAMFLAGS_LOOPBACK : 0) | (opts->event ? AUDCLNT_STREAMFLAGS_EVENTCALLBACK : 0);
    /* A second of buffer: the program may be late, the recording not. */
    if (failed("IAudioClient::Initialize", IAudioClient_Initialize(client, AUDCLNT_SHAREMODE_SHARED, stream_flags,
                                                                   REFTIMES_PER_SEC, 0, &fmt.Format, NULL))
        || failed("IAudioClient::GetService(IAudioCaptureClient)",
                  IAudioClient_GetService(client, &IID_IAudioCaptureClient, (void **)&capture)))
        goto done;
    if (opts->event && (!(event = CreateEventW(NULL, FALSE, FALSE, NULL))
                        || failed("IAudioClient::SetEventHandle", IAudioClient_SetEventHandle(client, event))))
        goto done;
    if (!write_header(file, &fmt, 0) || failed("IAudioClient::Start", IAudioClient_Start(client))) goto done;
    if (opts->process)
        fprintf(stderr, "recording what %sprocess %lu and its children play", opts->exclude ? "all but " : "",
                opts->process);
    else
        fprintf(stderr, "recording %s%s", opts->loopback ? "loopback of " : "",
                opts->device ? opts->device : "the default endpoint");
    fprintf(stderr, ": %lu Hz, %u channels, %u-bit %s, for %.1f s\n", fmt.Format.nSamplesPerSec, fmt.Format.nChannels,
            fmt.Format.wBitsPerSample, IsEqualGUID(&fmt.SubFormat, &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT) ? "float" : "int",
            opts->seconds);

    for (start = GetTickCount(); frames_total < opts->seconds * fmt.Format.nSamplesPerSec;)
    {
        if (GetTickCount() - start > opts->seconds * 1000 + 5000)
        {
            fprintf(stderr, "wasapi-record: the endpoint gave %I64u frames in %.1f s\n", frames_total,
                    opts->seconds + 5);
            goto done;
        }
        if (event) WaitForSingleObject(event, 2000);
        else Sleep((DWORD)(period / 20000));
        while ((hr = IAudioCaptureClient_GetBuffer(capture, &data, &frames, &flags, &position, &qpc)) == S_OK)
        {
            if (!packets++) first_position = position;
            last_position = position;
            if (flags & AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY) discontinuities++;
            if (flags & AUDCLNT_BUFFERFLAGS_SILENT)
            {
                silent++;
                memset(data, 0, (size_t)frames * fmt.Format.nBlockAlign);
            }
            if (!WriteFile(file, data, frames * fmt.Format.nBlockAlign, &written, NULL))
            {
                fprintf(stderr, "wasapi-record: cannot write %s: %lu\n", opts->out, GetLastError());
                goto done;
            }
            frames_total += frames;
            if (failed("IAudioCaptureClient::ReleaseBuffer", IAudioCaptureClient_ReleaseBuffer(capture, frames)))
                goto done;
        }
        if (failed("IAudioCaptureClient::GetBuffer", hr)) goto done;
    }
    IAudioClient_Stop(client);
    if (!write_header(file, &fmt, (DWORD)(frames_total * fmt.Format.nBlockAlign))) goto done;
    printf("packets %I64u, frames %I64u, positions %I64u to %I64u, discontinuities %I64u, silent %I64u\n", packets,
           frames_total, first_position, last_position, discontinuities, silent);
    ret = 0;
done:
    CloseHandle(file);
    if (event) CloseHandle(event);
    if (capture) IAudioCaptureClient_Release(capture);
    if (client) IAudioClient_Release(client);
    if (mix) CoTaskMemFree(mix);
    if (dev) IMMDevice_Release(dev);
    if (mme) IMMDeviceEnumerator_Release(mme);
    return ret;
}

int main(int argc, char **argv)
{
    struct options opts;
    int ret;

    if ((ret = parse_options(argc, argv, &opts))) return ret;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    ret = record(&opts);
    CoUninitialize();
    return ret;
}
