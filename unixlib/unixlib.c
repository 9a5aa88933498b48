/* The call table of mmdevapi.so: checks what crosses from the PE side, then dispatches. */
#include <stdarg.h>
#include <string.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winternl.h>
#include <winerror.h>
#include <wine/debug.h>

#include "backend.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

/* In the order tried when the user names none. */
static const struct backend_ops *const backends[] =
{
#ifdef HAVE_PULSE
    &pulse_backend,
#endif
#ifdef HAVE_ALSA
    &alsa_backend,
#endif
};

static const struct backend_ops *backend;

static const struct backend_ops *find_backend(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(backends); i++)
        if (strlen(backends[i]->name) == len && !strncmp(backends[i]->name, name, len))
            return backends[i];
    return NULL;
}

/* The first backend of a comma-separated list that answers; names we lack are skipped. */
static const struct backend_ops *choose_backend(const char *request)
{
    const struct backend_ops *candidate;
    const char *name = request, *end;

    while (*name)
    {
        end = strchr(name, ',');
        if (!end) end = name + strlen(name);
        while (name < end && *name == ' ') name++;
        if ((candidate = find_backend(name, end - name)) && candidate->probe())
            return candidate;
        if (!candidate) WINE_WARN("unknown audio backend %s\n", wine_dbgstr_an(name, end - name));
        name = *end ? end + 1 : end;
    }
    return NULL;
}

static NTSTATUS process_attach(void *args)
{
    struct process_attach_params *params = args;
    char request[MMDEVAPI_BACKEND_REQUEST_MAX];
    size_t i;

    memcpy(request, params->request, sizeof(request));
    request[sizeof(request) - 1] = 0;

    backend = NULL;
    if (params->has_request)
        backend = choose_backend(request);
    else
        for (i = 0; i < ARRAY_SIZE(backends) && !backend; i++)
            if (backends[i]->probe()) backend = backends[i];

    WINE_TRACE("requested %s, chose %s\n", params->has_request ? wine_dbgstr_a(request) : "(default)",
               backend ? backend->name : "no backend");
    endpoint_set_text(params->backend, sizeof(params->backend), backend ? backend->name : "");
    params->result = S_OK;
    return STATUS_SUCCESS;
}

static NTSTATUS get_endpoints(void *args)
{
    struct get_endpoints_params *params = args;
    UINT32 capacity = params->capacity, flow = params->flow, default_index = MMDEVAPI_NO_DEFAULT;
    struct endpoint_info *endpoints = params->endpoints;

    params->count = 0;
    params->default_index = MMDEVAPI_NO_DEFAULT;
    if ((flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE) || capacity > MMDEVAPI_ENDPOINTS_MAX
        || (capacity && !endpoints))
    {
        params->result = E_INVALIDARG;
        return STATUS_SUCCESS;
    }
    if (backend)
    {
        params->count = backend->list_endpoints(flow, endpoints, capacity, &default_index);
        if (params->count > capacity) params->count = capacity;
        if (default_index < params->count) params->default_index = default_index;
    }
    params->result = S_OK;
    return STATUS_SUCCESS;
}

/* The only symbol the .so exports: Wine's loader looks it up by name. */
__attribute__((visibility("default"))) const unixlib_entry_t __wine_unix_call_funcs[] =
{
    process_attach,
    get_endpoints,
};

C_ASSERT(ARRAY_SIZE(__wine_unix_call_funcs) == unix_call_count);
