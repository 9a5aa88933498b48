/* Layer 2: the call table of the Linux side, called as the PE side calls it, against the real
 * backend the harness started, with hostile parameters as well as good ones. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winerror.h>

#include "mmdevapi_unix.h"
#include "unit.h"

extern const unixlib_entry_t __wine_unix_call_funcs[];

static NTSTATUS call(enum mmdevapi_unix_call code, void *params)
{
    return __wine_unix_call_funcs[code](params);
}

static void attach(const char *request)
{
    struct process_attach_params params;

    memset(&params, 0xcc, sizeof(params));    /* garbage everywhere the caller does not write */
    params.has_request = request != NULL;
    if (request) snprintf(params.request, sizeof(params.request), "%s", request);
    CHECK(call(unix_process_attach, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK(memchr(params.backend, 0, sizeof(params.backend)) != NULL);
}

static void test_attach_requests(const char *backend)
{
    struct process_attach_params params;

    /* Wine's value may name backends we lack, in any order; "" means no audio at all. */
    memset(&params, 0, sizeof(params));
    params.has_request = 1;
    snprintf(params.request, sizeof(params.request), "oss, coreaudio,%s", backend);
    call(unix_process_attach, &params);
    CHECK_EQ_STR(params.backend, backend);

    memset(&params, 0, sizeof(params));
    params.has_request = 1;
    call(unix_process_attach, &params);
    CHECK_EQ_STR(params.backend, "");

    /* A request that fills its buffer with no terminator must not be read past its end. */
    memset(&params, 'x', sizeof(params));
    params.has_request = 1;
    call(unix_process_attach, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_STR(params.backend, "");
}

static void test_hostile_get_endpoints(void)
{
    struct endpoint_info endpoints[2];
    struct get_endpoints_params params;

    memset(&params, 0, sizeof(params));
    params.flow = 2;    /* eAll is not a flow the Linux side lists */
    params.capacity = 2;
    params.endpoints = endpoints;
    CHECK(call(unix_get_endpoints, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);
    CHECK_EQ_UINT(params.count, 0);

    params.flow = 0xffffffff;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    params.flow = MMDEVAPI_RENDER;
    params.capacity = MMDEVAPI_ENDPOINTS_MAX + 1;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    params.capacity = 0xffffffff;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    params.capacity = 1;
    params.endpoints = NULL;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, E_INVALIDARG);

    /* No room: nothing written, no default. */
    params.capacity = 0;
    params.default_index = 7;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_UINT(params.count, 0);
    CHECK_EQ_UINT(params.default_index, MMDEVAPI_NO_DEFAULT);
}

/* "float32:48000:2" as the harness describes the endpoint it set up. */
static void check_format(const struct endpoint_format *format, const char *expected)
{
    char type[16];
    unsigned int rate, channels;

    if (!expected || sscanf(expected, "%15[^:]:%u:%u", type, &rate, &channels) != 3)
    {
        printf("skip: no expected format\n");
        return;
    }
    CHECK_EQ_UINT(format->rate, rate);
    CHECK_EQ_UINT(format->channels, channels);
    CHECK_EQ_UINT(format->is_float, !strcmp(type, "float32"));
    CHECK_EQ_UINT(format->bits, !strcmp(type, "s16") ? 16 : 32);
    CHECK_EQ_UINT(format->valid_bits, format->bits);
    CHECK_EQ_HEX(format->channel_mask, channels == 1 ? 0x4 : 0x3);
}

static void test_endpoints(enum mmdevapi_flow flow, const char *name, const char *format)
{
    struct endpoint_info endpoints[MMDEVAPI_ENDPOINTS_MAX];
    struct get_endpoints_params params;
    const struct endpoint_info *info;

    memset(endpoints, 0xcc, sizeof(endpoints));
    memset(&params, 0, sizeof(params));
    params.flow = flow;
    params.capacity = MMDEVAPI_ENDPOINTS_MAX;
    params.endpoints = endpoints;
    CHECK(call(unix_get_endpoints, &params) == STATUS_SUCCESS);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_UINT(params.count, 1);
    CHECK_EQ_UINT(params.default_index, 0);
    if (params.count < 1) return;
    info = &endpoints[params.default_index];
    CHECK(memchr(info->key, 0, sizeof(info->key)) != NULL);
    CHECK(memchr(info->name, 0, sizeof(info->name)) != NULL);
    CHECK_EQ_STR(info->name, name);
    CHECK_EQ_UINT(info->form_factor, flow == MMDEVAPI_RENDER ? 1 : 4);    /* Speakers, Microphone */
    check_format(&info->format, format);

    /* One slot for more endpoints than that: the list is cut, never overrun. */
    memset(endpoints, 0xcc, sizeof(endpoints));
    params.capacity = 1;
    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK(params.count <= 1);
    CHECK_EQ_UINT(endpoints[1].form_factor, 0xcccccccc);
}

static void test_unreachable(void)
{
    struct endpoint_info endpoints[4];
    struct get_endpoints_params params = { .flow = MMDEVAPI_RENDER, .capacity = 4, .endpoints = endpoints };

    call(unix_get_endpoints, &params);
    CHECK_EQ_HEX(params.result, S_OK);
    CHECK_EQ_UINT(params.count, 0);
    CHECK_EQ_UINT(params.default_index, MMDEVAPI_NO_DEFAULT);
}

int main(void)
{
    const char *backend = getenv("MMDEVAPI_TEST_BACKEND");

    if (!backend)
    {
        fprintf(stderr, "run me through tests/harness/run-test\n");
        return 77;
    }
    test_hostile_get_endpoints();
    if (!strcmp(backend, "none"))
    {
        attach("pulse");
        test_unreachable();
        attach(NULL);
        test_unreachable();
    }
    else
    {
        test_attach_requests(backend);
        attach(backend);
        test_endpoints(MMDEVAPI_RENDER, getenv("MMDEVAPI_TEST_RENDER_NAME"), getenv("MMDEVAPI_TEST_RENDER_FORMAT"));
        test_endpoints(MMDEVAPI_CAPTURE, getenv("MMDEVAPI_TEST_CAPTURE_NAME"), getenv("MMDEVAPI_TEST_CAPTURE_FORMAT"));
    }
    return unit_summary("boundary");
}
