/* The boundary between mmdevapi.dll (PE) and mmdevapi.so (Linux): one call code and one params
 * struct per call. Inputs come first, then the HRESULT, then outputs. The NTSTATUS of a call only
 * says that it got through. Fields are fixed-width so that 32-bit callers can be thunked later.
 * The Linux side checks every input: the PE side's memory is the program's to scribble on. */
#ifndef MMDEVAPI_UNIX_H
#define MMDEVAPI_UNIX_H

#include "wine_unixlib.h"

enum mmdevapi_unix_call
{
    unix_process_attach,
    unix_get_endpoints,
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

/* An endpoint's format as the backend runs it. */
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

#endif
