/*
 * Conformance of IMMDeviceEnumerator, IMMDeviceCollection, IMMDevice, IMMEndpoint and the
 * endpoints' IPropertyStore, as Windows has them.
 *
 * Run by the harness once per backend (MMDEVAPI_TEST_BACKEND and friends, see test.h); without
 * MMDEVAPI_TEST_BACKEND only the backend-independent checks run, so that the program can be tried
 * on any Wine or Windows. "devenum --print-ids" prints the endpoint ids and exits: the test runs
 * itself that way to check that ids are stable from one process to the next.
 */

#define COBJMACROS
#define CONST_VTABLE
#include "test.h"

#include <stdlib.h>
#include <math.h>
#include <winver.h>
#include <objbase.h>
#include <propsys.h>
#include <initguid.h>
#include <propkeydef.h>     /* again, now defining the keys */
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <audiopolicy.h>
#include <endpointvolume.h>
#include <devpkey.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <devicetopology.h>
#include <dsound.h>
#include <strmif.h>
#include <uuids.h>
#include "listener.h"
#include "activate_async.h"

/* The DEVPKEYs that Windows also publishes as PKEYs (functiondiscoverykeys_devpkey.h). */
#define PKEY_OF(devpkey) ((const PROPERTYKEY *)&(devpkey))

/* Our module's own keys; Wine's module has none of them. */
static const PROPERTYKEY key_module_backend =
    {{0x3521834e, 0xb99a, 0x4c0c, {0xae, 0x72, 0x27, 0x4e, 0x03, 0x71, 0x95, 0x6c}}, 1};
static const PROPERTYKEY key_module_device =
    {{0x3521834e, 0xb99a, 0x4c0c, {0xae, 0x72, 0x27, 0x4e, 0x03, 0x71, 0x95, 0x6c}}, 2};

/* What Windows calls nothing in its headers: the endpoint's device interface (see
 * test_endpoint_properties). */
static const PROPERTYKEY key_device_interface =
    {{0x233164c8, 0x1b2c, 0x4c7d, {0xbc, 0x68, 0xb6, 0x71, 0x68, 0x7a, 0x25, 0x67}}, 1};

/* A key of this test's own, written to check that values persist. */
static const PROPERTYKEY key_test_persist =
    {{0xcee0791a, 0x24db, 0x41c2, {0x87, 0x16, 0xa5, 0x76, 0x8f, 0x1f, 0x90, 0xf0}}, 1};

static const GUID iid_unknown_interface =
    {0xcee0791a, 0x24db, 0x41c2, {0x87, 0x16, 0xa5, 0x76, 0x8f, 0x1f, 0x90, 0xf1}};

static const EDataFlow flows[] = {eRender, eCapture};
static const ERole roles[] = {eConsole, eMultimedia, eCommunications};

static struct test_env env;
static BOOL have_backend;   /* pulse or alsa: one active endpoint per flow, known properties */

static const char *flow_name(EDataFlow flow)
{
    return flow == eRender ? "render" : flow == eCapture ? "capture" : "all";
}

static IMMDeviceEnumerator *create_enumerator(void)
{
    IMMDeviceEnumerator *mme = NULL;
    HRESULT hr;

    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER,
                          &IID_IMMDeviceEnumerator, (void **)&mme);
    ok(hr == S_OK, "CoCreateInstance(MMDeviceEnumerator): got %08lx, expected S_OK\n", hr);
    return hr == S_OK ? mme : NULL;
}

/* The id of dev (CoTaskMemFree it), NULL on failure. */
static WCHAR *get_id(IMMDevice *dev)
{
    WCHAR *id = NULL;
    HRESULT hr;

    hr = IMMDevice_GetId(dev, &id);
    ok(hr == S_OK, "GetId: got %08lx, expected S_OK\n", hr);
    return hr == S_OK ? id : NULL;
}

/* The default endpoint of flow for eConsole, NULL (without failure) when there is none. */
static IMMDevice *get_default(IMMDeviceEnumerator *mme, EDataFlow flow)
{
    IMMDevice *dev = NULL;
    HRESULT hr;

    hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, flow, eConsole, &dev);
    ok(hr == S_OK || hr == E_NOTFOUND, "GetDefaultAudioEndpoint(%s): got %08lx\n",
       flow_name(flow), hr);
    return hr == S_OK ? dev : NULL;
}

/* Windows' endpoint ids: "{0.0.<flow>.00000000}.{guid}", the guid in lower case. */
static void check_id_form(const WCHAR *id, EDataFlow flow)
{
    const WCHAR *prefix = flow == eRender ? L"{0.0.0.00000000}." : L"{0.0.1.00000000}.";
    const WCHAR *guid = id + 17;
    BOOL lower = TRUE;
    GUID parsed;
    size_t i;

    if (!ok(wcslen(id) == 55 && !wcsncmp(id, prefix, 17), "%s id %s is not {0.0.%u.00000000}.{guid}\n",
            flow_name(flow), dbgstr_w(id), flow == eRender ? 0 : 1))
        return;
    for (i = 0; guid[i]; i++) if (guid[i] >= 'A' && guid[i] <= 'F') lower = FALSE;
    ok(lower, "guid of id %s is not lower case as on Windows\n", dbgstr_w(id));
    ok(IIDFromString(guid, &parsed) == S_OK, "guid of id %s does not parse\n", dbgstr_w(id));
}

/* ---- CoCreateInstance and IUnknown ---------------------------------------------------------- */

static void check_enumerator_unknown(IMMDeviceEnumerator *mme, const char *apartment)
{
    static const IID *unsupported[] =
        {&GUID_NULL, &IID_IMMDevice, &IID_IMMDeviceCollection, &IID_IMMEndpoint, &IID_IPropertyStore,
         &IID_IDispatch};
    IUnknown *unk;
    void *out;
    HRESULT hr;
    size_t i;

    hr = IMMDeviceEnumerator_QueryInterface(mme, &IID_IUnknown, (void **)&unk);
    ok(hr == S_OK && unk == (IUnknown *)mme, "%s: QueryInterface(IUnknown): got %08lx %p, expected "
       "S_OK and the same pointer\n", apartment, hr, unk);
    if (hr == S_OK) IUnknown_Release(unk);

    hr = IMMDeviceEnumerator_QueryInterface(mme, &IID_IMMDeviceEnumerator, &out);
    ok(hr == S_OK && out == mme, "%s: QueryInterface(IMMDeviceEnumerator): got %08lx %p, "
       "expected S_OK and the same pointer\n", apartment, hr, out);
    if (hr == S_OK) IUnknown_Release((IUnknown *)out);

    hr = IMMDeviceEnumerator_QueryInterface(mme, &IID_IUnknown, NULL);
    ok(hr == E_POINTER, "%s: QueryInterface(NULL): got %08lx, expected E_POINTER\n", apartment, hr);

    for (i = 0; i < ARRAY_SIZE(unsupported); i++)
    {
        out = (void *)0xdeadbeef;
        hr = IMMDeviceEnumerator_QueryInterface(mme, unsupported[i], &out);
        ok(hr == E_NOINTERFACE && !out, "%s: QueryInterface(unsupported %u): got %08lx %p, "
           "expected E_NOINTERFACE and NULL\n", apartment, (unsigned int)i, hr, out);
        if (hr == S_OK) IUnknown_Release((IUnknown *)out);
    }
}

static DWORD WINAPI sta_thread(void *arg)
{
    IMMDeviceEnumerator *mme;
    IMMDeviceCollection *coll;
    HRESULT hr;

    (void)arg;
    hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    ok(hr == S_OK, "CoInitializeEx(STA): got %08lx\n", hr);

    if ((mme = create_enumerator()))
    {
        check_enumerator_unknown(mme, "STA");
        hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, eAll, DEVICE_STATEMASK_ALL, &coll);
        ok(hr == S_OK, "STA: EnumAudioEndpoints: got %08lx, expected S_OK\n", hr);
        if (hr == S_OK) IMMDeviceCollection_Release(coll);
        IMMDeviceEnumerator_Release(mme);
    }
    CoUninitialize();
    return 0;
}

static void test_create_instance(void)
{
    IMMDeviceEnumerator *mme;
    IUnknown *unk;
    HANDLE thread;
    HRESULT hr;

    if ((mme = create_enumerator()))
    {
        check_enumerator_unknown(mme, "MTA");
        IMMDeviceEnumerator_Release(mme);
    }

    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IUnknown,
                          (void **)&unk);
    ok(hr == S_OK, "CoCreateInstance(IUnknown): got %08lx, expected S_OK\n", hr);
    if (hr == S_OK) IUnknown_Release(unk);

    unk = (IUnknown *)0xdeadbeef;
    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, (IUnknown *)&unk, CLSCTX_INPROC_SERVER,
                          &IID_IUnknown, (void **)&unk);
    ok(hr == CLASS_E_NOAGGREGATION, "CoCreateInstance with an outer object: got %08lx, "
       "expected CLASS_E_NOAGGREGATION\n", hr);

    thread = CreateThread(NULL, 0, sta_thread, NULL, 0, NULL);
    ok(WaitForSingleObject(thread, 30000) == WAIT_OBJECT_0, "STA thread did not end\n");
    CloseHandle(thread);
}

/* Windows keeps one enumerator a process and a reference to it of its own: a program holding one
 * reference sees AddRef return 3 (Wine's tests check it against Windows), and a collection holds
 * none on it. */
static void test_single_enumerator(void)
{
    IMMDeviceEnumerator *mme, *again;
    IMMDeviceCollection *coll;
    ULONG ref;
    HRESULT hr;

    if (!(mme = create_enumerator())) return;
    ref = IMMDeviceEnumerator_AddRef(mme);
    ok(ref == 3, "AddRef of the enumerator: got %lu, expected 3\n", ref);
    ref = IMMDeviceEnumerator_Release(mme);
    ok(ref == 2, "Release of the enumerator: got %lu, expected 2\n", ref);

    if ((again = create_enumerator()))
    {
        ok(again == mme, "a second CoCreateInstance gave %p, the first %p: expected the same object\n", again,
           mme);
        ref = IMMDeviceEnumerator_Release(again);
        ok(ref == 2, "Release of the second: got %lu, expected 2\n", ref);
    }

    hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, eAll, DEVICE_STATEMASK_ALL, &coll);
    ok(hr == S_OK, "EnumAudioEndpoints: got %08lx, expected S_OK\n", hr);
    IMMDeviceEnumerator_AddRef(mme);
    ref = IMMDeviceEnumerator_Release(mme);
    ok(ref == 2, "with a collection out, the enumerator counts %lu, expected 2\n", ref);
    if (hr == S_OK) IMMDeviceCollection_Release(coll);
    IMMDeviceEnumerator_Release(mme);
}

/* Programs look ActivateAudioInterfaceAsync up by its ordinal, 17 on Windows, and call what they get. */
static void test_exports(void)
{
    HMODULE module = LoadLibraryA("mmdevapi.dll");
    FARPROC by_name, by_ordinal;

    if (!ok(module != NULL, "LoadLibrary(mmdevapi.dll) failed: %lu\n", GetLastError())) return;
    by_name = GetProcAddress(module, "ActivateAudioInterfaceAsync");
    by_ordinal = GetProcAddress(module, MAKEINTRESOURCEA(17));
    ok(by_name != NULL, "no export ActivateAudioInterfaceAsync\n");
    ok(by_ordinal == by_name, "ordinal 17 is %p, ActivateAudioInterfaceAsync %p: expected the same\n",
       by_ordinal, by_name);
    FreeLibrary(module);
}

/* ---- EnumAudioEndpoints and IMMDeviceCollection ---------------------------------------------- */

static EDataFlow get_flow(IMMDevice *dev)
{
    IMMEndpoint *endpoint;
    EDataFlow flow = 0xdead;
    HRESULT hr;

    hr = IMMDevice_QueryInterface(dev, &IID_IMMEndpoint, (void **)&endpoint);
    ok(hr == S_OK, "QueryInterface(IMMEndpoint): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return flow;
    hr = IMMEndpoint_GetDataFlow(endpoint, &flow);
    ok(hr == S_OK, "GetDataFlow: got %08lx, expected S_OK\n", hr);
    IMMEndpoint_Release(endpoint);
    return flow;
}

/* Checks every item of coll against the flow and mask it was asked for; counts the active ones. */
static UINT check_collection(IMMDeviceCollection *coll, EDataFlow flow, DWORD mask, UINT *active)
{
    UINT count = 0, i;
    IMMDevice *dev;
    EDataFlow got;
    DWORD state;
    HRESULT hr;

    *active = 0;
    hr = IMMDeviceCollection_GetCount(coll, &count);
    ok(hr == S_OK, "GetCount: got %08lx, expected S_OK\n", hr);

    for (i = 0; i < count; i++)
    {
        hr = IMMDeviceCollection_Item(coll, i, &dev);
        ok(hr == S_OK, "%s mask %#lx: Item(%u): got %08lx, expected S_OK\n", flow_name(flow), mask, i, hr);
        if (hr != S_OK) continue;

        state = 0xdeadbeef;
        hr = IMMDevice_GetState(dev, &state);
        ok(hr == S_OK && (state & mask) && !(state & ~mask),
           "%s mask %#lx: item %u has state %#lx (%08lx), outside the mask\n",
           flow_name(flow), mask, i, state, hr);
        if (state == DEVICE_STATE_ACTIVE) (*active)++;

        got = get_flow(dev);
        ok(flow == eAll ? got == eRender || got == eCapture : got == flow,
           "%s mask %#lx: item %u has flow %d\n", flow_name(flow), mask, i, got);
        IMMDevice_Release(dev);
    }
    return count;
}

static void test_enum_endpoints(IMMDeviceEnumerator *mme)
{
    static const DWORD masks[] =
    {
        DEVICE_STATE_ACTIVE, DEVICE_STATE_DISABLED, DEVICE_STATE_NOTPRESENT, DEVICE_STATE_UNPLUGGED,
        DEVICE_STATE_ACTIVE | DEVICE_STATE_DISABLED, DEVICE_STATE_ACTIVE | DEVICE_STATE_UNPLUGGED,
        DEVICE_STATE_DISABLED | DEVICE_STATE_NOTPRESENT | DEVICE_STATE_UNPLUGGED, DEVICE_STATEMASK_ALL,
    };
    static const EDataFlow all_flows[] = {eRender, eCapture, eAll};
    static const DWORD bad_masks[] = {0x10, 0x80000000, DEVICE_STATEMASK_ALL | 0x10};
    IMMDeviceCollection *coll;
    UINT count[3], active[3];
    size_t i, j;
    HRESULT hr;

    for (i = 0; i < ARRAY_SIZE(masks); i++)
    {
        for (j = 0; j < ARRAY_SIZE(all_flows); j++)
        {
            count[j] = active[j] = 0;
            hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, all_flows[j], masks[i], &coll);
            ok(hr == S_OK, "EnumAudioEndpoints(%s, %#lx): got %08lx, expected S_OK\n",
               flow_name(all_flows[j]), masks[i], hr);
            if (hr != S_OK) continue;
            count[j] = check_collection(coll, all_flows[j], masks[i], &active[j]);
            IMMDeviceCollection_Release(coll);
        }

        ok(count[2] == count[0] + count[1], "mask %#lx: eAll lists %u endpoints, "
           "render %u + capture %u\n", masks[i], count[2], count[0], count[1]);
        if (env.backend == TEST_BACKEND_UNSET) continue;

        /* With "none" a prefix may still remember endpoints (not present), but none is active. */
        if (have_backend && (masks[i] & DEVICE_STATE_ACTIVE))
            ok(active[0] == 1 && active[1] == 1 && active[2] == 2, "mask %#lx: active endpoints "
               "render %u capture %u all %u, expected 1 1 2\n", masks[i], active[0], active[1], active[2]);
        else
            ok(!active[0] && !active[1] && !active[2], "mask %#lx: active endpoints render %u "
               "capture %u all %u, expected none\n", masks[i], active[0], active[1], active[2]);
    }

    hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, eAll, DEVICE_STATE_ACTIVE, NULL);
    ok(hr == E_POINTER, "EnumAudioEndpoints(NULL): got %08lx, expected E_POINTER\n", hr);

    for (i = 0; i < 2; i++)
    {
        EDataFlow bad_flow = i ? 0xffff : EDataFlow_enum_count;

        coll = (IMMDeviceCollection *)0xdeadbeef;
        hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, bad_flow, DEVICE_STATE_ACTIVE, &coll);
        ok(hr == E_INVALIDARG && !coll, "EnumAudioEndpoints(flow %#x): got %08lx %p, expected "
           "E_INVALIDARG and NULL\n", bad_flow, hr, coll);
        if (hr == S_OK) IMMDeviceCollection_Release(coll);
    }

    for (i = 0; i < ARRAY_SIZE(bad_masks); i++)
    {
        coll = (IMMDeviceCollection *)0xdeadbeef;
        hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, eAll, bad_masks[i], &coll);
        ok(hr == E_INVALIDARG, "EnumAudioEndpoints(mask %#lx): got %08lx, expected E_INVALIDARG\n",
           bad_masks[i], hr);
        if (hr == S_OK) IMMDeviceCollection_Release(coll);
    }
}

static void check_collection_unknown(IMMDeviceCollection *coll)
{
    void *out;
    HRESULT hr;

    hr = IMMDeviceCollection_QueryInterface(coll, &IID_IUnknown, &out);
    ok(hr == S_OK && out == coll, "collection QueryInterface(IUnknown): got %08lx %p, expected S_OK "
       "and the same pointer\n", hr, out);
    if (hr == S_OK) IUnknown_Release((IUnknown *)out);
    hr = IMMDeviceCollection_QueryInterface(coll, &IID_IMMDeviceCollection, &out);
    ok(hr == S_OK && out == coll, "collection QueryInterface(IMMDeviceCollection): got %08lx %p, "
       "expected S_OK and the same pointer\n", hr, out);
    if (hr == S_OK) IUnknown_Release((IUnknown *)out);
    out = (void *)0xdeadbeef;
    hr = IMMDeviceCollection_QueryInterface(coll, &IID_IMMDeviceEnumerator, &out);
    ok(hr == E_NOINTERFACE && !out, "collection QueryInterface(IMMDeviceEnumerator): got %08lx %p, "
       "expected E_NOINTERFACE and NULL\n", hr, out);
    if (hr == S_OK) IUnknown_Release((IUnknown *)out);
    hr = IMMDeviceCollection_QueryInterface(coll, &IID_IUnknown, NULL);
    ok(hr == E_POINTER, "collection QueryInterface(NULL): got %08lx, expected E_POINTER\n", hr);
}

static void test_collection(IMMDeviceEnumerator *mme)
{
    IMMDeviceCollection *coll;
    IMMDevice *dev, *def;
    WCHAR *id, *def_id;
    UINT count, i;
    size_t f;
    HRESULT hr;

    for (f = 0; f < ARRAY_SIZE(flows); f++)
    {
        hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, flows[f], DEVICE_STATE_ACTIVE, &coll);
        ok(hr == S_OK, "EnumAudioEndpoints(%s): got %08lx, expected S_OK\n", flow_name(flows[f]), hr);
        if (hr != S_OK) continue;

        check_collection_unknown(coll);

        hr = IMMDeviceCollection_GetCount(coll, NULL);
        ok(hr == E_POINTER, "GetCount(NULL): got %08lx, expected E_POINTER\n", hr);
        count = 0xdeadbeef;
        hr = IMMDeviceCollection_GetCount(coll, &count);
        ok(hr == S_OK, "GetCount: got %08lx, expected S_OK\n", hr);
        if (hr != S_OK) count = 0;

        hr = IMMDeviceCollection_Item(coll, 0, NULL);
        ok(hr == E_POINTER, "Item(0, NULL): got %08lx, expected E_POINTER\n", hr);

        dev = (IMMDevice *)0xdeadbeef;
        hr = IMMDeviceCollection_Item(coll, count, &dev);
        ok(hr == E_INVALIDARG && !dev, "Item(count %u): got %08lx %p, expected E_INVALIDARG and "
           "NULL\n", count, hr, dev);
        dev = (IMMDevice *)0xdeadbeef;
        hr = IMMDeviceCollection_Item(coll, ~0u, &dev);
        ok(hr == E_INVALIDARG && !dev, "Item(~0u): got %08lx %p, expected E_INVALIDARG and NULL\n",
           hr, dev);

        /* The active endpoints of the harness are the defaults. */
        def = get_default(mme, flows[f]);
        def_id = def ? get_id(def) : NULL;
        for (i = 0; i < count; i++)
        {
            if (IMMDeviceCollection_Item(coll, i, &dev) != S_OK) continue;
            if ((id = get_id(dev)))
            {
                check_id_form(id, flows[f]);
                if (have_backend)
                    ok(def_id && !wcscmp(id, def_id), "%s item %u is %s, the default is %s\n",
                       flow_name(flows[f]), i, dbgstr_w(id), dbgstr_w(def_id));
                CoTaskMemFree(id);
            }
            IMMDevice_Release(dev);
        }
        CoTaskMemFree(def_id);
        if (def) IMMDevice_Release(def);
        IMMDeviceCollection_Release(coll);
    }
}

/* ---- GetDefaultAudioEndpoint and GetDevice --------------------------------------------------- */

static void test_default_endpoint(IMMDeviceEnumerator *mme)
{
    static const struct { EDataFlow flow; ERole role; } bad[] =
        {{eAll, eConsole}, {0xffff, eConsole}, {eRender, ERole_enum_count}, {eCapture, 0xffff}};
    WCHAR *id, *first_id;
    IMMDevice *dev;
    DWORD state;
    size_t f, r;
    HRESULT hr;

    for (f = 0; f < ARRAY_SIZE(flows); f++)
    {
        first_id = NULL;
        for (r = 0; r < ARRAY_SIZE(roles); r++)
        {
            dev = (IMMDevice *)0xdeadbeef;
            hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, flows[f], roles[r], &dev);
            if (have_backend)
                ok(hr == S_OK, "GetDefaultAudioEndpoint(%s, role %u): got %08lx, expected S_OK\n",
                   flow_name(flows[f]), roles[r], hr);
            else if (env.backend == TEST_BACKEND_NONE)
                ok(hr == E_NOTFOUND && !dev, "GetDefaultAudioEndpoint(%s, role %u) without endpoints: "
                   "got %08lx %p, expected E_NOTFOUND and NULL\n", flow_name(flows[f]), roles[r], hr, dev);
            else
                ok(hr == S_OK || (hr == E_NOTFOUND && !dev), "GetDefaultAudioEndpoint(%s, role %u): "
                   "got %08lx %p\n", flow_name(flows[f]), roles[r], hr, dev);
            if (hr != S_OK) continue;

            state = 0;
            hr = IMMDevice_GetState(dev, &state);
            ok(hr == S_OK && state == DEVICE_STATE_ACTIVE, "default %s endpoint has state %#lx (%08lx), "
               "expected DEVICE_STATE_ACTIVE\n", flow_name(flows[f]), state, hr);
            ok(get_flow(dev) == flows[f], "default %s endpoint has another flow\n", flow_name(flows[f]));

            if ((id = get_id(dev)))
            {
                if (!first_id) first_id = id;
                else
                {
                    ok(!wcscmp(id, first_id), "default %s endpoint for role %u is %s, for eConsole %s; "
                       "expected the same\n", flow_name(flows[f]), roles[r], dbgstr_w(id), dbgstr_w(first_id));
                    CoTaskMemFree(id);
                }
            }
            IMMDevice_Release(dev);
        }
        CoTaskMemFree(first_id);
    }

    hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, NULL);
    ok(hr == E_POINTER, "GetDefaultAudioEndpoint(NULL): got %08lx, expected E_POINTER\n", hr);

    for (f = 0; f < ARRAY_SIZE(bad); f++)
    {
        dev = (IMMDevice *)0xdeadbeef;
        hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, bad[f].flow, bad[f].role, &dev);
        ok(hr == E_INVALIDARG && !dev, "GetDefaultAudioEndpoint(flow %#x, role %#x): got %08lx %p, "
           "expected E_INVALIDARG and NULL\n", bad[f].flow, bad[f].role, hr, dev);
        if (hr == S_OK) IMMDevice_Release(dev);
    }
}

static void test_get_device(IMMDeviceEnumerator *mme)
{
    static const WCHAR *unknown[] =
    {
        L"{0.0.0.00000000}.{deadbeef-dead-beef-dead-beefdeadbeef}",
        L"{0.0.1.00000000}.{deadbeef-dead-beef-dead-beefdeadbeef}",
    };
    IMMDevice *def, *dev;
    WCHAR *def_id, *id;
    size_t f, i;
    HRESULT hr;

    for (f = 0; f < ARRAY_SIZE(flows); f++)
    {
        if (!(def = get_default(mme, flows[f]))) continue;
        if ((def_id = get_id(def)))
        {
            hr = IMMDeviceEnumerator_GetDevice(mme, def_id, &dev);
            ok(hr == S_OK, "GetDevice(%s): got %08lx, expected S_OK\n", dbgstr_w(def_id), hr);
            if (hr == S_OK)
            {
                id = get_id(dev);
                ok(id && !wcscmp(id, def_id), "GetDevice(%s) gave %s\n", dbgstr_w(def_id), dbgstr_w(id));
                CoTaskMemFree(id);
                ok(get_flow(dev) == flows[f], "GetDevice(%s) gave another flow\n", dbgstr_w(def_id));
                IMMDevice_Release(dev);
            }

            hr = IMMDeviceEnumerator_GetDevice(mme, def_id, NULL);
            ok(hr == E_POINTER, "GetDevice(id, NULL): got %08lx, expected E_POINTER\n", hr);
            CoTaskMemFree(def_id);
        }
        IMMDevice_Release(def);
    }

    dev = (IMMDevice *)0xdeadbeef;
    hr = IMMDeviceEnumerator_GetDevice(mme, NULL, &dev);
    ok(hr == E_POINTER, "GetDevice(NULL id): got %08lx, expected E_POINTER\n", hr);
    hr = IMMDeviceEnumerator_GetDevice(mme, unknown[0], NULL);
    ok(hr == E_POINTER, "GetDevice(unknown id, NULL): got %08lx, expected E_POINTER\n", hr);

    /* An id of the right form that names no endpoint (a device unplugged since it was saved). */
    for (i = 0; i < ARRAY_SIZE(unknown); i++)
    {
        dev = (IMMDevice *)0xdeadbeef;
        hr = IMMDeviceEnumerator_GetDevice(mme, unknown[i], &dev);
        ok(hr == E_NOTFOUND, "GetDevice(%s): got %08lx, expected E_NOTFOUND\n", dbgstr_w(unknown[i]), hr);
        if (hr == S_OK) IMMDevice_Release(dev);
    }

    /* Windows rejects a string that is no endpoint id at all with E_INVALIDARG (seen for
     * "notadevice"); the empty string has not been seen on Windows, either answer is taken. */
    dev = (IMMDevice *)0xdeadbeef;
    hr = IMMDeviceEnumerator_GetDevice(mme, L"foo", &dev);
    ok(hr == E_INVALIDARG, "GetDevice(\"foo\"): got %08lx, expected E_INVALIDARG\n", hr);
    if (hr == S_OK) IMMDevice_Release(dev);
    dev = (IMMDevice *)0xdeadbeef;
    hr = IMMDeviceEnumerator_GetDevice(mme, L"", &dev);
    ok(hr == E_INVALIDARG || hr == E_NOTFOUND, "GetDevice(\"\"): got %08lx, expected E_INVALIDARG "
       "or E_NOTFOUND\n", hr);
    if (hr == S_OK) IMMDevice_Release(dev);
}

/* ---- IMMNotificationClient registration ----------------------------------------------------- */

struct notify_client
{
    IMMNotificationClient IMMNotificationClient_iface;
    LONG ref;
    LONG addrefs;
};

static struct notify_client *impl_from_IMMNotificationClient(IMMNotificationClient *iface)
{
    return CONTAINING_RECORD(iface, struct notify_client, IMMNotificationClient_iface);
}

static HRESULT WINAPI notify_QueryInterface(IMMNotificationClient *iface, REFIID iid, void **out)
{
    if (IsEqualIID(iid, &IID_IUnknown) || IsEqualIID(iid, &IID_IMMNotificationClient))
    {
        *out = iface;
        IMMNotificationClient_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI notify_AddRef(IMMNotificationClient *iface)
{
    struct notify_client *client = impl_from_IMMNotificationClient(iface);

    InterlockedIncrement(&client->addrefs);
    return InterlockedIncrement(&client->ref);
}

static ULONG WINAPI notify_Release(IMMNotificationClient *iface)
{
    return InterlockedDecrement(&impl_from_IMMNotificationClient(iface)->ref);
}

static HRESULT WINAPI notify_OnDeviceStateChanged(IMMNotificationClient *iface, const WCHAR *id, DWORD state)
{
    (void)iface; (void)id; (void)state;
    return S_OK;
}

static HRESULT WINAPI notify_OnDeviceAdded(IMMNotificationClient *iface, const WCHAR *id)
{
    (void)iface; (void)id;
    return S_OK;
}

static HRESULT WINAPI notify_OnDeviceRemoved(IMMNotificationClient *iface, const WCHAR *id)
{
    (void)iface; (void)id;
    return S_OK;
}

static HRESULT WINAPI notify_OnDefaultDeviceChanged(IMMNotificationClient *iface, EDataFlow flow,
                                                    ERole role, const WCHAR *id)
{
    (void)iface; (void)flow; (void)role; (void)id;
    return S_OK;
}

static HRESULT WINAPI notify_OnPropertyValueChanged(IMMNotificationClient *iface, const WCHAR *id,
                                                    const PROPERTYKEY key)
{
    (void)iface; (void)id; (void)key;
    return S_OK;
}

static const IMMNotificationClientVtbl notify_vtbl =
{
    notify_QueryInterface,
    notify_AddRef,
    notify_Release,
    notify_OnDeviceStateChanged,
    notify_OnDeviceAdded,
    notify_OnDeviceRemoved,
    notify_OnDefaultDeviceChanged,
    notify_OnPropertyValueChanged,
};

static void test_notification_client(IMMDeviceEnumerator *mme)
{
    struct notify_client client = {{&notify_vtbl}, 1, 0};
    struct notify_client other = {{&notify_vtbl}, 1, 0};
    HRESULT hr;

    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, NULL);
    ok(hr == E_POINTER, "RegisterEndpointNotificationCallback(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, NULL);
    ok(hr == E_POINTER, "UnregisterEndpointNotificationCallback(NULL): got %08lx, expected E_POINTER\n", hr);

    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &other.IMMNotificationClient_iface);
    ok(hr == E_NOTFOUND, "UnregisterEndpointNotificationCallback(never registered): got %08lx, "
       "expected E_NOTFOUND\n", hr);

    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, &client.IMMNotificationClient_iface);
    ok(hr == S_OK, "RegisterEndpointNotificationCallback: got %08lx, expected S_OK\n", hr);
    /* Windows takes no reference: the program keeps the client alive until it unregisters. */
    ok(!client.addrefs, "registration took %ld references of the client, Windows takes none\n",
       client.addrefs);

    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &client.IMMNotificationClient_iface);
    ok(hr == S_OK, "UnregisterEndpointNotificationCallback: got %08lx, expected S_OK\n", hr);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &client.IMMNotificationClient_iface);
    ok(hr == E_NOTFOUND, "second UnregisterEndpointNotificationCallback: got %08lx, expected E_NOTFOUND\n", hr);

    /* Windows counts registrations: a client registered twice is unregistered twice. */
    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, &client.IMMNotificationClient_iface);
    ok(hr == S_OK, "RegisterEndpointNotificationCallback: got %08lx, expected S_OK\n", hr);
    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, &client.IMMNotificationClient_iface);
    ok(hr == S_OK, "second RegisterEndpointNotificationCallback: got %08lx, expected S_OK\n", hr);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &client.IMMNotificationClient_iface);
    ok(hr == S_OK, "UnregisterEndpointNotificationCallback (1 of 2): got %08lx, expected S_OK\n", hr);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &client.IMMNotificationClient_iface);
    ok(hr == S_OK, "UnregisterEndpointNotificationCallback (2 of 2): got %08lx, expected S_OK\n", hr);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &client.IMMNotificationClient_iface);
    ok(hr == E_NOTFOUND, "third UnregisterEndpointNotificationCallback: got %08lx, expected E_NOTFOUND\n", hr);

    ok(client.ref == 1, "client holds %ld references after unregistration, expected 1\n", client.ref);
    ok(other.ref == 1 && !other.addrefs, "the never registered client was referenced (%ld)\n", other.addrefs);
}

/* ---- Endpoints that come and go (PulseAudio's sinks, loaded and unloaded by pactl) ----------- */

/* A client that unregisters itself from its first call, which it notes: the clients after it
 * still hear that change. */
static struct
{
    IMMNotificationClient IMMNotificationClient_iface;
    IMMDeviceEnumerator *mme;
    char what;              /* of its one call, as struct heard's */
    WCHAR id[64];
    HRESULT unregister_hr;
} one_shot;

static void one_shot_called(char what, const WCHAR *id)
{
    if (one_shot.what) return;
    one_shot.what = what;
    lstrcpynW(one_shot.id, id ? id : L"", ARRAY_SIZE(one_shot.id));
    one_shot.unregister_hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(
        one_shot.mme, &one_shot.IMMNotificationClient_iface);
}

static HRESULT WINAPI one_shot_QueryInterface(IMMNotificationClient *iface, REFIID riid, void **out)
{
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMMNotificationClient))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    return S_OK;
}

static ULONG WINAPI one_shot_AddRef(IMMNotificationClient *iface) { return 2; }
static ULONG WINAPI one_shot_Release(IMMNotificationClient *iface) { return 1; }

static HRESULT WINAPI one_shot_OnDeviceStateChanged(IMMNotificationClient *iface, const WCHAR *id, DWORD state)
{
    one_shot_called('s', id);
    return S_OK;
}

static HRESULT WINAPI one_shot_OnDeviceAdded(IMMNotificationClient *iface, const WCHAR *id)
{
    one_shot_called('a', id);
    return S_OK;
}

static HRESULT WINAPI one_shot_OnDeviceRemoved(IMMNotificationClient *iface, const WCHAR *id)
{
    one_shot_called('r', id);
    return S_OK;
}

static HRESULT WINAPI one_shot_OnDefaultDeviceChanged(IMMNotificationClient *iface, EDataFlow flow, ERole role,
                                                      const WCHAR *id)
{
    one_shot_called('d', id);
    return S_OK;
}

static HRESULT WINAPI one_shot_OnPropertyValueChanged(IMMNotificationClient *iface, const WCHAR *id,
                                                      const PROPERTYKEY key)
{
    one_shot_called('p', id);
    return S_OK;
}

static const IMMNotificationClientVtbl one_shot_vtbl =
{
    one_shot_QueryInterface,
    one_shot_AddRef,
    one_shot_Release,
    one_shot_OnDeviceStateChanged,
    one_shot_OnDeviceAdded,
    one_shot_OnDeviceRemoved,
    one_shot_OnDefaultDeviceChanged,
    one_shot_OnPropertyValueChanged,
};

/* On PulseAudio (and PipeWire's Pulse server): a sink that comes, becomes the default and goes,
 * as a program sees it: IMMNotificationClient's calls within 100 ms of pactl (the 2 s limit is
 * for a busy machine), an endpoint that then reads as it is, and the stream and the session of an
 * endpoint that went away: AUDCLNT_E_DEVICE_INVALIDATED and OnSessionDisconnected. */
static void test_endpoint_changes(IMMDeviceEnumerator *mme)
{
    IAudioSessionControl *control = NULL;
    WCHAR old_default[64] = L"", *id;
    char command[300], restore[256], out[200];
    IAudioClient *client = NULL, *later = NULL;
    WAVEFORMATEX *mix = NULL, *format = NULL;
    IMMDevice *dev, *extra = NULL;
    LONG from = 0, first;
    UINT32 padding;
    unsigned int module = ~0u;
    int added, active, i;
    DWORD state, start, waited;
    HRESULT hr;

    if (!run_unix_line("pactl get-default-sink", out, sizeof(out)) || !out[0])
    {
        skip("pactl cannot reach the harness's server\n");
        return;
    }
    snprintf(restore, sizeof(restore), "pactl set-default-sink %s; pactl unload-module", out);
    if (SUCCEEDED(IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, &dev)))
    {
        if (SUCCEEDED(IMMDevice_GetId(dev, &id)))
        {
            lstrcpynW(old_default, id, ARRAY_SIZE(old_default));
            CoTaskMemFree(id);
        }
        IMMDevice_Release(dev);
    }
    one_shot.IMMNotificationClient_iface.lpVtbl = &one_shot_vtbl;
    one_shot.mme = mme;
    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, &one_shot.IMMNotificationClient_iface);
    ok(hr == S_OK, "RegisterEndpointNotificationCallback(a client that leaves in its first call): got %08lx\n", hr);
    listener_init(mme);
    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, &listener.IMMNotificationClient_iface);
    ok(hr == S_OK, "RegisterEndpointNotificationCallback: got %08lx\n", hr);

    /* A sink comes: active; added before, if the prefix never saw it (an endpoint seen before
     * stays known, as not present, and only changes state). */
    ok(run_unix("pactl load-module module-null-sink sink_name=mmdevtest_extra", out, sizeof(out))
       && sscanf(out, "%u", &module) == 1, "pactl load-module: %s\n", out);
    start = GetTickCount();
    active = wait_heard(&from, 's', NULL, DEVICE_STATE_ACTIVE);
    waited = GetTickCount() - start;
    if (!ok(active >= 0, "no OnDeviceStateChanged(ACTIVE) for a sink loaded\n")) goto done;
    trace("a sink loaded: OnDeviceStateChanged %lu ms after pactl ended\n", waited);
    id = listener.heard[active].id;
    added = wait_heard(&from, 'a', id, ~0u);
    ok(added < active, "OnDeviceAdded came after OnDeviceStateChanged(ACTIVE)\n");
    trace("the endpoint was %s\n", added >= 0 ? "added" : "known from before");
    /* The client before the listener left in its call: the listener heard that change all the same. */
    ok(one_shot.what && one_shot.unregister_hr == S_OK, "the first client: called '%c', unregistering got %08lx\n",
       one_shot.what ? one_shot.what : '-', one_shot.unregister_hr);
    first = 0;
    ok(!one_shot.what || wait_heard(&first, one_shot.what, one_shot.id, ~0u) >= 0,
       "the listener did not hear the change ('%c', %s) during which the client before it unregistered\n",
       one_shot.what, dbgstr_w(one_shot.id));
    hr = IMMDeviceEnumerator_GetDevice(mme, id, &extra);
    ok(hr == S_OK, "GetDevice(the new endpoint): got %08lx\n", hr);
    if (FAILED(hr)) goto done;
    hr = IMMDevice_GetState(extra, &state);
    ok(hr == S_OK && state == DEVICE_STATE_ACTIVE, "the new endpoint's state: got %08lx, %#lx\n", hr, state);

    /* A stream plays on it, and its session listens. */
    hr = IMMDevice_Activate(extra, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&client);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetMixFormat(client, &mix);
    if (SUCCEEDED(hr)) hr = IAudioClient_Initialize(client, AUDCLNT_SHAREMODE_SHARED, 0, 1000000, 0, mix, NULL);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetService(client, &IID_IAudioSessionControl, (void **)&control);
    if (SUCCEEDED(hr)) hr = IAudioSessionControl_RegisterAudioSessionNotification(control, &listener.IAudioSessionEvents_iface);
    if (SUCCEEDED(hr)) hr = IAudioClient_Start(client);
    ok(hr == S_OK, "a stream on the new endpoint: got %08lx\n", hr);
    hr = IMMDevice_Activate(extra, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&later);
    ok(hr == S_OK, "Activate on the new endpoint: got %08lx\n", hr);

    /* It becomes the default: of each role, and the enumerator answers from inside the call. */
    from = listener.count;
    listener.inner_hr = E_FAIL;
    ok(run_unix("pactl set-default-sink mmdevtest_extra", NULL, 0), "pactl set-default-sink failed\n");
    for (i = 0; i < 3; i++)
        ok(wait_heard(&from, 'd', id, eRender * 16 + (i == 0 ? eConsole : i == 1 ? eMultimedia : eCommunications)) >= 0,
           "no OnDefaultDeviceChanged(eRender, role %d) to the new sink\n", i);
    ok(listener.inner_hr == S_OK, "GetDevice from inside OnDefaultDeviceChanged: got %08lx\n", listener.inner_hr);
    if (SUCCEEDED(IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, &dev)))
    {
        ok(dev == extra, "GetDefaultAudioEndpoint is not the new default\n");
        IMMDevice_Release(dev);
    }

    /* It goes: not present any more, the old default back, the stream invalidated, the session
     * disconnected (the server moves the sink's streams elsewhere; Windows' stream ends). */
    from = listener.count;
    snprintf(command, sizeof(command), "%s %u", restore, module);
    ok(run_unix(command, NULL, 0), "%s failed\n", command);
    module = ~0u;
    ok(wait_heard(&from, 's', id, DEVICE_STATE_NOTPRESENT) >= 0, "no OnDeviceStateChanged(NOTPRESENT) for a sink unloaded\n");
    ok(wait_heard(&from, 'd', old_default, eRender * 16 + eConsole) >= 0, "no OnDefaultDeviceChanged back to %s\n",
       dbgstr_w(old_default));
    ok(wait_heard(&from, 'x', NULL, DisconnectReasonDeviceRemoval) >= 0,
       "no OnSessionDisconnected(DisconnectReasonDeviceRemoval)\n");
    hr = IMMDevice_GetState(extra, &state);
    ok(hr == S_OK && state == DEVICE_STATE_NOTPRESENT, "the gone endpoint's state: got %08lx, %#lx\n", hr, state);
    if (client)
    {
        for (start = GetTickCount(); GetTickCount() - start < 2000; Sleep(10))
            if ((hr = IAudioClient_GetCurrentPadding(client, &padding)) == AUDCLNT_E_DEVICE_INVALIDATED) break;
        ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "GetCurrentPadding on the gone endpoint: got %08lx\n", hr);
        hr = IAudioClient_Start(client);
        ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "Start on the gone endpoint: got %08lx\n", hr);
    }
    /* A stream not initialized yet fails at once, and so does a new one. */
    if (later)
    {
        hr = IAudioClient_GetMixFormat(later, &format);
        ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "GetMixFormat on the gone endpoint: got %08lx\n", hr);
        if (mix) hr = IAudioClient_Initialize(later, AUDCLNT_SHAREMODE_SHARED, 0, 1000000, 0, mix, NULL);
        ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "Initialize on the gone endpoint: got %08lx\n", hr);
        IAudioClient_Release(later);
        later = NULL;
    }
    hr = IMMDevice_Activate(extra, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&later);
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "Activate on the gone endpoint: got %08lx\n", hr);
    if (SUCCEEDED(hr)) IAudioClient_Release(later);
    later = NULL;

    /* It comes back: the same endpoint, active, plays again in the same process. */
    from = listener.count;
    ok(run_unix("pactl load-module module-null-sink sink_name=mmdevtest_extra", out, sizeof(out))
       && sscanf(out, "%u", &module) == 1, "pactl load-module: %s\n", out);
    ok(wait_heard(&from, 's', id, DEVICE_STATE_ACTIVE) >= 0, "no OnDeviceStateChanged(ACTIVE) for the sink back\n");
    hr = IMMDevice_Activate(extra, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&later);
    if (SUCCEEDED(hr) && mix) hr = IAudioClient_Initialize(later, AUDCLNT_SHAREMODE_SHARED, 0, 1000000, 0, mix, NULL);
    if (SUCCEEDED(hr)) hr = IAudioClient_Start(later);
    ok(hr == S_OK, "a stream on the endpoint back: got %08lx\n", hr);
    if (SUCCEEDED(hr))
    {
        Sleep(50);
        hr = IAudioClient_GetCurrentPadding(later, &padding);
        ok(hr == S_OK, "GetCurrentPadding on the endpoint back: got %08lx\n", hr);
    }

done:
    if (module != ~0u)
    {
        snprintf(command, sizeof(command), "%s %u", restore, module);
        run_unix(command, NULL, 0);
    }
    if (control)
    {
        IAudioSessionControl_UnregisterAudioSessionNotification(control, &listener.IAudioSessionEvents_iface);
        IAudioSessionControl_Release(control);
    }
    if (client) IAudioClient_Release(client);
    if (later) IAudioClient_Release(later);
    CoTaskMemFree(mix);
    if (extra) IMMDevice_Release(extra);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &listener.IMMNotificationClient_iface);
    ok(hr == S_OK, "UnregisterEndpointNotificationCallback: got %08lx\n", hr);
    listener_done();
}

/* A render stream kept full of a 440 Hz tone by a thread of its own, as a player does, with its
 * clock watched. */
struct feeder
{
    IAudioClient *client;
    IAudioRenderClient *render;
    IAudioClock *clock;
    WAVEFORMATEX *mix;
    UINT32 buffer;
    LONG stop;
    HRESULT failed;         /* the first answer that was not S_OK */
    LONG backwards;         /* times the clock went back */
    UINT64 position;        /* the clock's last reading, bytes */
    UINT64 written;         /* frames */
};

static DWORD WINAPI feeder_thread(void *arg)
{
    struct feeder *f = arg;
    UINT32 padding, frames, i, c, channels = f->mix->nChannels;
    HRESULT hr = S_OK;
    UINT64 position;
    float *data;

    while (!ReadAcquire(&f->stop))
    {
        if (FAILED(hr = IAudioClient_GetCurrentPadding(f->client, &padding))) break;
        if ((frames = f->buffer - padding))
        {
            if (FAILED(hr = IAudioRenderClient_GetBuffer(f->render, frames, (BYTE **)&data))) break;
            for (i = 0; i < frames; i++, f->written++)
                for (c = 0; c < channels; c++)
                    data[i * channels + c] = 0.5f * sinf(2 * 3.14159265f * 440 * (f->written % f->mix->nSamplesPerSec)
                                                         / f->mix->nSamplesPerSec);
            if (FAILED(hr = IAudioRenderClient_ReleaseBuffer(f->render, frames, 0))) break;
        }
        if (FAILED(hr = IAudioClock_GetPosition(f->clock, &position, NULL))) break;
        if (position < f->position) f->backwards++;
        f->position = position;
        Sleep(5);
    }
    if (FAILED(hr)) f->failed = hr;
    return 0;
}

/* The smallest and largest sample of what a sink plays, heard on its monitor for half a second
 * (PulseAudio's or PipeWire's Pulse server). */
static BOOL sink_peaks(const char *sink, int *low, int *high)
{
    char command[400], out[64];

    snprintf(command, sizeof(command), "parec -d %s.monitor --raw --format=s16le --channels=1 --rate=8000 2>/dev/null "
             "| head -c 8000 | od -An -td2 -w2 -v | awk 'NR==1{l=$1;h=$1} $1<l{l=$1} $1>h{h=$1} END{print l, h}'", sink);
    return run_unix(command, out, sizeof(out)) && sscanf(out, "%d %d", low, high) == 2;
}

/* The new sink becomes the default: loaded (again), then picked. Its module, or ~0u. */
static unsigned int default_to_new_sink(const WCHAR **id)
{
    unsigned int module = ~0u;
    char out[64];
    LONG from = listener.count;
    int index;

    ok(run_unix("pactl load-module module-null-sink sink_name=mmdevtest_follow", out, sizeof(out))
       && sscanf(out, "%u", &module) == 1, "pactl load-module: %s\n", out);
    if (!ok((index = wait_heard(&from, 's', NULL, DEVICE_STATE_ACTIVE)) >= 0, "no OnDeviceStateChanged(ACTIVE) for "
            "a sink loaded\n"))
        return module;
    *id = listener.heard[index].id;
    ok(run_unix("pactl set-default-sink mmdevtest_follow", NULL, 0), "pactl set-default-sink failed\n");
    ok(wait_heard(&from, 'd', *id, eRender * 16 + eConsole) >= 0, "no OnDefaultDeviceChanged to the new sink\n");
    return module;
}

/* A stream activated through ActivateAudioInterfaceAsync for DEVINTERFACE_AUDIO_RENDER follows the
 * default render endpoint, as on Windows 10: unplugged, the default falls back to the other sink and
 * the program's sound goes on there, its stream never invalidated, its clock going on; plugged in
 * again and picked, the sound goes back. (PulseAudio itself moves a stream made on the default
 * sink to the next default; a stream of ours left on a sink that went is invalidated all the
 * same, see test_endpoint_changes: what shows that it followed is that it lives on.) */
static void test_follow_default(IMMDeviceEnumerator *mme)
{
    activate_async_func activate = (void *)GetProcAddress(GetModuleHandleA("mmdevapi.dll"),
                                                          "ActivateAudioInterfaceAsync");
    char old_sink[128], command[400];
    struct feeder feeder = { 0 };
    UINT64 before, frequency;
    const WCHAR *new_id = NULL;
    unsigned int module, round;
    WCHAR path[40];
    HANDLE thread = NULL;
    IUnknown *unk = NULL;
    DWORD unplugged;
    int low, high;
    LONG from;
    HRESULT hr;

    if (!run_unix_line("pactl get-default-sink", old_sink, sizeof(old_sink)) || !old_sink[0])
    {
        skip("pactl cannot reach the harness's server\n");
        return;
    }
    listener_init(mme);
    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, &listener.IMMNotificationClient_iface);
    ok(hr == S_OK, "RegisterEndpointNotificationCallback: got %08lx\n", hr);
    module = default_to_new_sink(&new_id);
    if (!new_id) goto done;

    StringFromGUID2(&DEVINTERFACE_AUDIO_RENDER, path, ARRAY_SIZE(path));
    hr = activate_async(activate, path, &IID_IAudioClient, &unk);
    if (SUCCEEDED(hr)) hr = IUnknown_QueryInterface(unk, &IID_IAudioClient, (void **)&feeder.client);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetMixFormat(feeder.client, &feeder.mix);
    if (SUCCEEDED(hr)) hr = IAudioClient_Initialize(feeder.client, AUDCLNT_SHAREMODE_SHARED, 0, 1000000, 0,
                                                     feeder.mix, NULL);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetBufferSize(feeder.client, &feeder.buffer);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetService(feeder.client, &IID_IAudioRenderClient, (void **)&feeder.render);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetService(feeder.client, &IID_IAudioClock, (void **)&feeder.clock);
    if (SUCCEEDED(hr)) hr = IAudioClock_GetFrequency(feeder.clock, &frequency);
    if (!ok(hr == S_OK, "a stream of the default render endpoint through ActivateAudioInterfaceAsync: got %08lx\n",
            hr) || feeder.mix->wBitsPerSample != 32)
        goto done;
    if (!(thread = CreateThread(NULL, 0, feeder_thread, &feeder, 0, NULL))) goto done;
    hr = IAudioClient_Start(feeder.client);
    ok(hr == S_OK, "Start: got %08lx\n", hr);

    for (round = 0; round < 2; round++)
    {
        Sleep(200);
        ok(sink_peaks("mmdevtest_follow", &low, &high) && high > 8192, "round %u: the tone on the default sink: "
           "peaks %d %d\n", round, low, high);

        /* Unplugged: the default falls back to the other sink, and the stream goes there. */
        from = listener.count;
        snprintf(command, sizeof(command), "pactl unload-module %u", module);
        ok(run_unix(command, NULL, 0), "%s failed\n", command);
        module = ~0u;
        unplugged = GetTickCount();
        before = feeder.position;
        ok(wait_heard(&from, 's', new_id, DEVICE_STATE_NOTPRESENT) >= 0, "no OnDeviceStateChanged(NOTPRESENT)\n");
        ok(wait_heard(&from, 'd', NULL, eRender * 16 + eConsole) >= 0, "no OnDefaultDeviceChanged back\n");
        ok(sink_peaks(old_sink, &low, &high) && high > 8192, "round %u: the tone on %s after the default sink went: "
           "peaks %d %d\n", round, old_sink, low, high);
        ok(feeder.failed == S_OK, "round %u: the stream answered %08lx when its default went\n", round,
           feeder.failed);
        /* Its clock went on: about the time since (the move loses what the gone sink had queued
         * and the new device's start; the clock never goes back). Windows loses at most a period;
         * on the native PipeWire backend a new stream's connection and link took up to 236 ms. */
        trace("round %u: the clock moved %.0f ms in the %lu ms after the default sink went\n", round,
              (feeder.position - before) * 1000.0 / frequency, GetTickCount() - unplugged);
        ok((feeder.position - before) * 1000 / frequency + 300 >= GetTickCount() - unplugged, "round %u: the clock "
           "moved %I64u bytes in %lu ms\n", round, feeder.position - before, GetTickCount() - unplugged);
        if (feeder.failed != S_OK) break;

        /* Plugged in again and picked: back there. */
        if (!round) module = default_to_new_sink(&new_id);
    }

    WriteRelease(&feeder.stop, TRUE);
    WaitForSingleObject(thread, 5000);
    ok(!feeder.backwards, "the stream's clock went back %ld times\n", feeder.backwards);
    hr = IAudioClient_Stop(feeder.client);
    ok(hr == S_OK, "Stop: got %08lx\n", hr);

done:
    if (thread)
    {
        WriteRelease(&feeder.stop, TRUE);
        WaitForSingleObject(thread, 5000);
        CloseHandle(thread);
    }
    if (module != ~0u)
    {
        snprintf(command, sizeof(command), "pactl set-default-sink %s; pactl unload-module %u", old_sink, module);
        run_unix(command, NULL, 0);
    }
    if (feeder.clock) IAudioClock_Release(feeder.clock);
    if (feeder.render) IAudioRenderClient_Release(feeder.render);
    if (feeder.client) IAudioClient_Release(feeder.client);
    if (unk) IUnknown_Release(unk);
    CoTaskMemFree(feeder.mix);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &listener.IMMNotificationClient_iface);
    ok(hr == S_OK, "UnregisterEndpointNotificationCallback: got %08lx\n", hr);
    listener_done();
}

/* A source that goes under an event-driven capture stream: the stream is invalidated within a few
 * periods of pactl, and its event still wakes the program, so that it notices. PulseAudio has
 * module-null-source; PipeWire's Pulse server makes a source of module-null-sink's node instead. */
/* Loads a source named name, the module's number or ~0u. PulseAudio has module-null-source;
 * PipeWire's Pulse server makes a source of module-null-sink's node instead. */
static unsigned int load_source(const char *name, char *out, size_t size)
{
    static const char *const loads[] =
    {
        "pactl load-module module-null-source source_name=%s",
        "pactl load-module module-null-sink sink_name=%s media.class=Audio/Source/Virtual",
    };
    unsigned int module = ~0u, i;
    char command[160];

    for (i = 0; i < ARRAY_SIZE(loads) && module == ~0u; i++)
    {
        snprintf(command, sizeof(command), loads[i], name);
        if (!run_unix(command, out, size) || sscanf(out, "%u", &module) != 1) module = ~0u;
    }
    return module;
}

static void test_capture_gone(IMMDeviceEnumerator *mme)
{
    IAudioCaptureClient *capture = NULL;
    IAudioClient *client = NULL;
    WAVEFORMATEX *mix = NULL;
    IMMDevice *dev = NULL;
    unsigned int module = ~0u;
    char command[64], out[200];
    UINT32 next, frames;
    DWORD start, flags, wait = WAIT_FAILED;
    HANDLE event;
    LONG from;
    BYTE *data;
    int heard;
    HRESULT hr;

    listener_init(mme);
    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, &listener.IMMNotificationClient_iface);
    ok(hr == S_OK, "RegisterEndpointNotificationCallback: got %08lx\n", hr);
    module = load_source("mmdevtest_extra_source", out, sizeof(out));
    if (!ok(module != ~0u, "no extra source could be loaded: %s\n", out)) goto done;
    from = 0;
    heard = wait_heard(&from, 's', NULL, DEVICE_STATE_ACTIVE);
    if (!ok(heard >= 0, "no OnDeviceStateChanged(ACTIVE) for a source loaded\n")) goto done;
    hr = IMMDeviceEnumerator_GetDevice(mme, listener.heard[heard].id, &dev);
    if (SUCCEEDED(hr)) hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&client);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetMixFormat(client, &mix);
    if (SUCCEEDED(hr)) hr = IAudioClient_Initialize(client, AUDCLNT_SHAREMODE_SHARED, AUDCLNT_STREAMFLAGS_EVENTCALLBACK,
                                                    1000000, 0, mix, NULL);
    if (SUCCEEDED(hr)) hr = IAudioClient_SetEventHandle(client, event);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetService(client, &IID_IAudioCaptureClient, (void **)&capture);
    if (SUCCEEDED(hr)) hr = IAudioClient_Start(client);
    if (!ok(hr == S_OK, "an event-driven capture stream on the new source: got %08lx\n", hr)) goto done;
    ok(WaitForSingleObject(event, 500) == WAIT_OBJECT_0, "no event from the capture stream\n");

    from = listener.count;
    snprintf(command, sizeof(command), "pactl unload-module %u", module);
    ok(run_unix(command, NULL, 0), "%s failed\n", command);
    module = ~0u;
    /* As a program that only wakes on its event: every wait is woken, the last to the news. */
    for (start = GetTickCount(); GetTickCount() - start < 3000;)
    {
        if ((wait = WaitForSingleObject(event, 1000)) != WAIT_OBJECT_0) break;
        if ((hr = IAudioCaptureClient_GetNextPacketSize(capture, &next)) == AUDCLNT_E_DEVICE_INVALIDATED) break;
        while (IAudioCaptureClient_GetBuffer(capture, &data, &frames, &flags, NULL, NULL) == S_OK)
            IAudioCaptureClient_ReleaseBuffer(capture, frames);
    }
    ok(wait == WAIT_OBJECT_0 && hr == AUDCLNT_E_DEVICE_INVALIDATED,
       "the gone source's stream: wait %#lx, GetNextPacketSize %08lx\n", wait, hr);
    trace("a source unloaded: its capture stream invalidated %lu ms after pactl ended\n", GetTickCount() - start);
    hr = IAudioCaptureClient_GetBuffer(capture, &data, &frames, &flags, NULL, NULL);
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "GetBuffer on the gone source: got %08lx\n", hr);
    ok(wait_heard(&from, 's', listener.heard[heard].id, DEVICE_STATE_NOTPRESENT) >= 0,
       "no OnDeviceStateChanged(NOTPRESENT) for a source unloaded\n");

done:
    if (module != ~0u)
    {
        snprintf(command, sizeof(command), "pactl unload-module %u", module);
        run_unix(command, NULL, 0);
    }
    if (capture) IAudioCaptureClient_Release(capture);
    if (client) IAudioClient_Release(client);
    CoTaskMemFree(mix);
    if (dev) IMMDevice_Release(dev);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &listener.IMMNotificationClient_iface);
    ok(hr == S_OK, "UnregisterEndpointNotificationCallback: got %08lx\n", hr);
    CloseHandle(event);
    listener_done();
}

/* A capture stream activated through ActivateAudioInterfaceAsync for DEVINTERFACE_AUDIO_CAPTURE
 * follows the default capture endpoint, as on Windows 10: its source unplugged, the stream records
 * from the next default on, event-driven, never invalidated, its packets' positions going on from
 * where they were (a packet lost in the move is flagged, as any loss). */
static void test_follow_default_capture(IMMDeviceEnumerator *mme)
{
    activate_async_func activate = (void *)GetProcAddress(GetModuleHandleA("mmdevapi.dll"),
                                                          "ActivateAudioInterfaceAsync");
    IAudioCaptureClient *capture = NULL;
    IAudioClient *client = NULL;
    WAVEFORMATEX *mix = NULL;
    IUnknown *unk = NULL;
    const WCHAR *new_id;
    char old_source[128], command[400], out[200];
    unsigned int module = ~0u, after = 0, gaps = 0, flagged = 0;
    UINT64 position, expected = 0, qpc;
    DWORD start, unplugged = 0, flags;
    HRESULT hr = S_OK, failed = S_OK;
    UINT32 frames;
    WCHAR path[40];
    HANDLE event;
    LONG from;
    BYTE *data;
    int heard;

    if (!run_unix_line("pactl get-default-source", old_source, sizeof(old_source)) || !old_source[0])
    {
        skip("pactl cannot reach the harness's server\n");
        return;
    }
    listener_init(mme);
    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    hr = IMMDeviceEnumerator_RegisterEndpointNotificationCallback(mme, &listener.IMMNotificationClient_iface);
    ok(hr == S_OK, "RegisterEndpointNotificationCallback: got %08lx\n", hr);
    module = load_source("mmdevtest_follow_source", out, sizeof(out));
    if (!ok(module != ~0u, "no extra source could be loaded: %s\n", out)) goto done;
    from = 0;
    heard = wait_heard(&from, 's', NULL, DEVICE_STATE_ACTIVE);
    if (!ok(heard >= 0, "no OnDeviceStateChanged(ACTIVE) for a source loaded\n")) goto done;
    new_id = listener.heard[heard].id;
    ok(run_unix("pactl set-default-source mmdevtest_follow_source", NULL, 0), "pactl set-default-source failed\n");
    if (!ok(wait_heard(&from, 'd', new_id, eCapture * 16 + eConsole) >= 0, "no OnDefaultDeviceChanged to the "
            "new source\n"))
        goto done;

    StringFromGUID2(&DEVINTERFACE_AUDIO_CAPTURE, path, ARRAY_SIZE(path));
    hr = activate_async(activate, path, &IID_IAudioClient, &unk);
    if (SUCCEEDED(hr)) hr = IUnknown_QueryInterface(unk, &IID_IAudioClient, (void **)&client);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetMixFormat(client, &mix);
    if (SUCCEEDED(hr)) hr = IAudioClient_Initialize(client, AUDCLNT_SHAREMODE_SHARED, AUDCLNT_STREAMFLAGS_EVENTCALLBACK,
                                                    1000000, 0, mix, NULL);
    if (SUCCEEDED(hr)) hr = IAudioClient_SetEventHandle(client, event);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetService(client, &IID_IAudioCaptureClient, (void **)&capture);
    if (SUCCEEDED(hr)) hr = IAudioClient_Start(client);
    if (!ok(hr == S_OK, "a capture stream of the default capture endpoint through ActivateAudioInterfaceAsync: "
            "got %08lx\n", hr))
        goto done;

    /* Half a second on the new source, then it goes, then a second and a half more. */
    for (start = GetTickCount(); GetTickCount() - start < 2000 && failed == S_OK;)
    {
        if (!unplugged && GetTickCount() - start >= 500)
        {
            from = listener.count;
            snprintf(command, sizeof(command), "pactl unload-module %u", module);
            ok(run_unix(command, NULL, 0), "%s failed\n", command);
            module = ~0u;
            unplugged = GetTickCount();
        }
        if (WaitForSingleObject(event, 1000) != WAIT_OBJECT_0)
        {
            failed = HRESULT_FROM_WIN32(ERROR_TIMEOUT);
            break;
        }
        while ((hr = IAudioCaptureClient_GetBuffer(capture, &data, &frames, &flags, &position, &qpc)) == S_OK)
        {
            if (expected && position != expected)
            {
                gaps++;
                flagged += !!(flags & AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY);
                ok(position > expected, "a packet at %I64u after one that ended at %I64u\n", position, expected);
            }
            expected = position + frames;
            if (unplugged && GetTickCount() - unplugged > 500) after += frames;
            if (FAILED(hr = IAudioCaptureClient_ReleaseBuffer(capture, frames))) break;
        }
        if (FAILED(hr)) failed = hr;
    }
    ok(failed == S_OK, "the stream answered %08lx after its source went\n", failed);
    ok(unplugged && wait_heard(&from, 's', new_id, DEVICE_STATE_NOTPRESENT) >= 0,
       "no OnDeviceStateChanged(NOTPRESENT) for the source unloaded\n");
    /* The last second: about a second of frames from the next default source. */
    ok(after >= mix->nSamplesPerSec * 8 / 10, "%u frames in the last second, %lu a second expected\n", after,
       mix->nSamplesPerSec);
    ok(gaps == flagged, "%u gaps in the packets' positions, %u of them flagged\n", gaps, flagged);
    hr = IAudioClient_Stop(client);
    ok(hr == S_OK, "Stop: got %08lx\n", hr);

done:
    if (module != ~0u)
    {
        snprintf(command, sizeof(command), "pactl set-default-source %s; pactl unload-module %u", old_source, module);
        run_unix(command, NULL, 0);
    }
    if (capture) IAudioCaptureClient_Release(capture);
    if (client) IAudioClient_Release(client);
    if (unk) IUnknown_Release(unk);
    CoTaskMemFree(mix);
    hr = IMMDeviceEnumerator_UnregisterEndpointNotificationCallback(mme, &listener.IMMNotificationClient_iface);
    ok(hr == S_OK, "UnregisterEndpointNotificationCallback: got %08lx\n", hr);
    CloseHandle(event);
    listener_done();
}

/* ---- IMMDevice and IMMEndpoint --------------------------------------------------------------- */

static void check_activate(IMMDevice *dev, const IID *iid, const char *name, BOOL may_exist)
{
    void *out = (void *)0xdeadbeef;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, iid, CLSCTX_INPROC_SERVER, NULL, &out);
    if (may_exist)
        ok((hr == S_OK && out) || (hr == E_NOINTERFACE && !out), "Activate(%s): got %08lx %p, "
           "expected S_OK, or E_NOINTERFACE and NULL while unimplemented\n", name, hr, out);
    else
        ok(hr == E_NOINTERFACE && !out, "Activate(%s): got %08lx %p, expected E_NOINTERFACE and NULL\n",
           name, hr, out);
    if (hr == S_OK && out) IUnknown_Release((IUnknown *)out);
}

static void test_device(IMMDevice *dev, EDataFlow flow)
{
    static const DWORD modes[] = {STGM_READ, STGM_WRITE, STGM_READWRITE}, bad_modes[] = {0x3, 0x7};
    IPropertyStore *store;
    IMMEndpoint *endpoint;
    IMMDevice *same;
    EDataFlow got;
    void *out;
    HRESULT hr;
    WCHAR *id;
    size_t i;

    hr = IMMDevice_GetId(dev, NULL);
    ok(hr == E_POINTER, "GetId(NULL): got %08lx, expected E_POINTER\n", hr);
    if ((id = get_id(dev)))
    {
        check_id_form(id, flow);
        CoTaskMemFree(id);
    }

    hr = IMMDevice_GetState(dev, NULL);
    ok(hr == E_POINTER, "GetState(NULL): got %08lx, expected E_POINTER\n", hr);

    /* Windows refuses STGM_WRITE and STGM_READWRITE with E_ACCESSDENIED to a user who is not an
     * administrator; under Wine the user is one. */
    hr = IMMDevice_OpenPropertyStore(dev, STGM_READ, NULL);
    ok(hr == E_POINTER, "OpenPropertyStore(NULL): got %08lx, expected E_POINTER\n", hr);
    for (i = 0; i < ARRAY_SIZE(modes); i++)
    {
        hr = IMMDevice_OpenPropertyStore(dev, modes[i], &store);
        ok(hr == S_OK, "OpenPropertyStore(%#lx): got %08lx, expected S_OK\n", modes[i], hr);
        if (hr == S_OK) IPropertyStore_Release(store);
    }
    /* Windows leaves the out pointer alone here. */
    for (i = 0; i < ARRAY_SIZE(bad_modes); i++)
    {
        store = NULL;
        hr = IMMDevice_OpenPropertyStore(dev, bad_modes[i], &store);
        ok(hr == E_INVALIDARG, "OpenPropertyStore(%#lx): got %08lx, expected E_INVALIDARG\n", bad_modes[i], hr);
        if (hr == S_OK) IPropertyStore_Release(store);
    }

    hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, NULL);
    ok(hr == E_POINTER, "Activate(IAudioClient, NULL): got %08lx, expected E_POINTER\n", hr);
    check_activate(dev, &iid_unknown_interface, "an unknown iid", FALSE);
    check_activate(dev, &IID_IMMDeviceEnumerator, "IMMDeviceEnumerator", FALSE);
    /* Windows' answer for IUnknown has not been seen: either is taken, never a pointer on failure. */
    check_activate(dev, &IID_IUnknown, "IUnknown", TRUE);
    check_activate(dev, &IID_IAudioClient, "IAudioClient", TRUE);
    check_activate(dev, &IID_IAudioSessionManager, "IAudioSessionManager", TRUE);
    check_activate(dev, &IID_IAudioSessionManager2, "IAudioSessionManager2", TRUE);
    check_activate(dev, &IID_IAudioEndpointVolume, "IAudioEndpointVolume", TRUE);

    hr = IMMDevice_QueryInterface(dev, &IID_IMMDevice, (void **)&same);
    ok(hr == S_OK && same == dev, "QueryInterface(IMMDevice): got %08lx %p, expected S_OK and "
       "the same pointer\n", hr, same);
    if (hr == S_OK) IMMDevice_Release(same);
    out = (void *)0xdeadbeef;
    hr = IMMDevice_QueryInterface(dev, &IID_IMMDeviceEnumerator, &out);
    ok(hr == E_NOINTERFACE && !out, "QueryInterface(IMMDeviceEnumerator): got %08lx %p, expected "
       "E_NOINTERFACE and NULL\n", hr, out);
    if (hr == S_OK) IUnknown_Release((IUnknown *)out);

    hr = IMMDevice_QueryInterface(dev, &IID_IMMEndpoint, (void **)&endpoint);
    ok(hr == S_OK, "QueryInterface(IMMEndpoint): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    hr = IMMEndpoint_GetDataFlow(endpoint, NULL);
    ok(hr == E_POINTER, "GetDataFlow(NULL): got %08lx, expected E_POINTER\n", hr);
    got = 0xdead;
    hr = IMMEndpoint_GetDataFlow(endpoint, &got);
    ok(hr == S_OK && got == flow, "GetDataFlow: got %08lx %d, expected S_OK and %d\n", hr, got, flow);
    hr = IMMEndpoint_QueryInterface(endpoint, &IID_IMMDevice, (void **)&same);
    ok(hr == S_OK && same == dev, "IMMEndpoint::QueryInterface(IMMDevice): got %08lx %p, expected "
       "S_OK and the device\n", hr, same);
    if (hr == S_OK) IMMDevice_Release(same);
    IMMEndpoint_Release(endpoint);
}

/* ---- What Activate makes besides streams -------------------------------------------------------- */

/* DirectSound for the endpoint, loaded on demand (Wine's dependency test, checked on Windows, wants
 * dsound.dll absent before and present after) and already initialized for the device. Which flows
 * Windows refuses each interface on has not been seen; ours and Wine's answer E_NOINTERFACE. */
static void test_activate_dsound(IMMDevice *dev, EDataFlow flow)
{
    IDirectSoundCapture *capture = NULL;
    IDirectSound8 *ds8 = NULL;
    IDirectSound *ds = NULL;
    HRESULT hr;

    if (flow == eRender)
    {
        ok(!GetModuleHandleA("dsound.dll"), "dsound.dll was loaded before any Activate asked for it\n");
        hr = IMMDevice_Activate(dev, &IID_IDirectSound8, CLSCTX_INPROC_SERVER, NULL, (void **)&ds8);
        ok(hr == S_OK && ds8, "Activate(IDirectSound8): got %08lx %p, expected S_OK\n", hr, ds8);
        ok(GetModuleHandleA("dsound.dll") != NULL, "dsound.dll not loaded after Activate(IDirectSound8)\n");
        if (ds8)
        {
            hr = IDirectSound8_Initialize(ds8, NULL);
            ok(hr == DSERR_ALREADYINITIALIZED, "Initialize of the activated IDirectSound8: got %08lx, expected "
               "DSERR_ALREADYINITIALIZED\n", hr);
            IDirectSound8_Release(ds8);
        }
        hr = IMMDevice_Activate(dev, &IID_IDirectSound, CLSCTX_INPROC_SERVER, NULL, (void **)&ds);
        ok(hr == S_OK && ds, "Activate(IDirectSound): got %08lx %p, expected S_OK\n", hr, ds);
        if (ds) IDirectSound_Release(ds);
        capture = (void *)0xdeadbeef;
        hr = IMMDevice_Activate(dev, &IID_IDirectSoundCapture, CLSCTX_INPROC_SERVER, NULL, (void **)&capture);
        ok(hr == E_NOINTERFACE && !capture, "Activate(IDirectSoundCapture) on a render endpoint: got %08lx %p, "
           "expected E_NOINTERFACE\n", hr, capture);
    }
    else
    {
        hr = IMMDevice_Activate(dev, &IID_IDirectSoundCapture8, CLSCTX_INPROC_SERVER, NULL, (void **)&capture);
        ok(hr == S_OK && capture, "Activate(IDirectSoundCapture8): got %08lx %p, expected S_OK\n", hr, capture);
        if (capture)
        {
            hr = IDirectSoundCapture_Initialize(capture, NULL);
            ok(hr == DSERR_ALREADYINITIALIZED, "Initialize of the activated IDirectSoundCapture: got %08lx, "
               "expected DSERR_ALREADYINITIALIZED\n", hr);
            IDirectSoundCapture_Release(capture);
        }
        ds = (void *)0xdeadbeef;
        hr = IMMDevice_Activate(dev, &IID_IDirectSound, CLSCTX_INPROC_SERVER, NULL, (void **)&ds);
        ok(hr == E_NOINTERFACE && !ds, "Activate(IDirectSound) on a capture endpoint: got %08lx %p, expected "
           "E_NOINTERFACE\n", hr, ds);
    }
}

/* DirectShow's audio renderer, from quartz.dll on demand, as Wine's dependency test has it. */
static void test_activate_renderer(IMMDevice *dev, EDataFlow flow)
{
    IBaseFilter *filter = NULL;
    CLSID clsid;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IBaseFilter, CLSCTX_INPROC_SERVER, NULL, (void **)&filter);
    if (flow != eRender)
    {
        ok(hr == E_NOINTERFACE && !filter, "Activate(IBaseFilter) on a capture endpoint: got %08lx %p, expected "
           "E_NOINTERFACE\n", hr, filter);
        if (filter) IBaseFilter_Release(filter);
        return;
    }
    ok(hr == S_OK && filter, "Activate(IBaseFilter): got %08lx %p, expected S_OK\n", hr, filter);
    if (!filter) return;
    ok(GetModuleHandleA("quartz.dll") != NULL, "quartz.dll not loaded after Activate(IBaseFilter)\n");
    hr = IBaseFilter_GetClassID(filter, &clsid);
    ok(hr == S_OK && IsEqualCLSID(&clsid, &CLSID_DSoundRender), "GetClassID of the filter: got %08lx, expected "
       "S_OK and CLSID_DSoundRender\n", hr);
    IBaseFilter_Release(filter);
}

/* The endpoint's device topology: one connector. On Windows it leads to the adapter's topology;
 * ours is fed by a sound server, and its Software_IO connector leads to no topology (E_NOTFOUND, as
 * Windows answers for such a connection). */
static void test_activate_topology(IMMDevice *dev, EDataFlow flow)
{
    IConnector *connector = NULL, *other;
    IDeviceTopology *topology = NULL;
    WCHAR *topology_id, *id;
    ConnectorType type;
    DataFlow data_flow;
    IUnknown *unk;
    UINT count;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IDeviceTopology, CLSCTX_INPROC_SERVER, NULL, (void **)&topology);
    ok(hr == S_OK && topology, "Activate(IDeviceTopology): got %08lx %p, expected S_OK\n", hr, topology);
    if (!topology) return;

    hr = IDeviceTopology_GetDeviceId(topology, &topology_id);
    ok(hr == S_OK, "IDeviceTopology::GetDeviceId: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK && (id = get_id(dev)))
    {
        ok(!wcscmp(topology_id, id), "the topology's device is %s, the endpoint %s\n", dbgstr_w(topology_id),
           dbgstr_w(id));
        CoTaskMemFree(id);
    }
    if (hr == S_OK) CoTaskMemFree(topology_id);

    count = 0xdead;
    hr = IDeviceTopology_GetConnectorCount(topology, &count);
    ok(hr == S_OK && count == 1, "GetConnectorCount: got %08lx %u, expected S_OK and 1\n", hr, count);
    other = (void *)0xdeadbeef;
    hr = IDeviceTopology_GetConnector(topology, 1, &other);
    ok(hr == E_INVALIDARG && !other, "GetConnector(1): got %08lx %p, expected E_INVALIDARG\n", hr, other);
    hr = IDeviceTopology_GetConnector(topology, 0, NULL);
    ok(hr == E_POINTER, "GetConnector(0, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IDeviceTopology_GetConnector(topology, 0, &connector);
    ok(hr == S_OK && connector, "GetConnector(0): got %08lx %p, expected S_OK\n", hr, connector);
    if (connector)
    {
        hr = IConnector_QueryInterface(connector, &IID_IUnknown, (void **)&unk);
        ok(hr == S_OK && unk == (IUnknown *)connector, "IConnector::QueryInterface(IUnknown): got %08lx\n", hr);
        if (hr == S_OK) IUnknown_Release(unk);
        hr = IConnector_GetDataFlow(connector, &data_flow);
        ok(hr == S_OK && data_flow == (flow == eRender ? In : Out), "connector data flow: got %08lx %d, "
           "expected S_OK and %s\n", hr, data_flow, flow == eRender ? "In" : "Out");
        hr = IConnector_GetType(connector, &type);
        ok(hr == S_OK, "connector GetType: got %08lx, expected S_OK\n", hr);
        other = (void *)0xdeadbeef;
        hr = IConnector_GetConnectedTo(connector, &other);
        if (have_backend)
            ok(hr == E_NOTFOUND && !other && type == Software_IO, "connector of type %d connected to: got %08lx "
               "%p, expected Software_IO, E_NOTFOUND and NULL\n", type, hr, other);
        else
            ok((hr == S_OK && other) || (hr == E_NOTFOUND && !other), "connector connected to: got %08lx %p\n",
               hr, other);
        if (hr == S_OK && other) IConnector_Release(other);
        IConnector_Release(connector);
    }
    IDeviceTopology_Release(topology);
}

/* ---- IPropertyStore --------------------------------------------------------------------------- */

static void test_property_store(IMMDevice *dev)
{
    static const PROPERTYKEY unknown_key =
        {{0xcee0791a, 0x24db, 0x41c2, {0x87, 0x16, 0xa5, 0x76, 0x8f, 0x1f, 0x90, 0xf2}}, 42};
    BOOL found_name = FALSE, found_desc = FALSE;
    IPropertyStore *store;
    PROPERTYKEY key;
    PROPVARIANT pv;
    DWORD count, i;
    HRESULT hr;

    hr = IMMDevice_OpenPropertyStore(dev, STGM_READ, &store);
    ok(hr == S_OK, "OpenPropertyStore(STGM_READ): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;

    hr = IPropertyStore_GetCount(store, NULL);
    ok(hr == E_POINTER, "GetCount(NULL): got %08lx, expected E_POINTER\n", hr);
    count = 0;
    hr = IPropertyStore_GetCount(store, &count);
    ok(hr == S_OK && count >= 7, "GetCount: got %08lx %lu, expected S_OK and at least 7\n", hr, count);

    for (i = 0; i < count; i++)
    {
        memset(&key, 0, sizeof(key));
        hr = IPropertyStore_GetAt(store, i, &key);
        ok(hr == S_OK && !IsEqualGUID(&key.fmtid, &GUID_NULL), "GetAt(%lu): got %08lx, expected S_OK "
           "and a key\n", i, hr);
        if (IsEqualPropertyKey(key, *PKEY_OF(DEVPKEY_Device_FriendlyName))) found_name = TRUE;
        if (IsEqualPropertyKey(key, *PKEY_OF(DEVPKEY_Device_DeviceDesc))) found_desc = TRUE;
    }
    ok(found_name && found_desc, "GetAt lists Device_FriendlyName %d, Device_DeviceDesc %d; "
       "expected both\n", found_name, found_desc);
    hr = IPropertyStore_GetAt(store, count, &key);
    ok(hr == E_INVALIDARG, "GetAt(count %lu): got %08lx, expected E_INVALIDARG\n", count, hr);
    hr = IPropertyStore_GetAt(store, 0, NULL);
    ok(hr == E_POINTER, "GetAt(0, NULL): got %08lx, expected E_POINTER\n", hr);

    hr = IPropertyStore_GetValue(store, &PKEY_AudioEndpoint_FormFactor, NULL);
    ok(hr == E_POINTER, "GetValue(key, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IPropertyStore_GetValue(store, NULL, &pv);
    ok(hr == E_POINTER, "GetValue(NULL, pv): got %08lx, expected E_POINTER\n", hr);

    pv.vt = VT_UI4;
    hr = IPropertyStore_GetValue(store, &unknown_key, &pv);
    ok(hr == S_OK && pv.vt == VT_EMPTY, "GetValue(unknown key): got %08lx vt %u, expected S_OK and "
       "VT_EMPTY\n", hr, pv.vt);
    PropVariantClear(&pv);

    pv.vt = VT_UI4;
    pv.ulVal = 1;
    hr = IPropertyStore_SetValue(store, &key_test_persist, &pv);
    ok(hr == STG_E_ACCESSDENIED, "SetValue on a STGM_READ store: got %08lx, expected "
       "STG_E_ACCESSDENIED\n", hr);

    IPropertyStore_Release(store);
}

static HRESULT get_value(IMMDevice *dev, const PROPERTYKEY *key, PROPVARIANT *pv)
{
    IPropertyStore *store;
    HRESULT hr;

    PropVariantInit(pv);
    hr = IMMDevice_OpenPropertyStore(dev, STGM_READ, &store);
    ok(hr == S_OK, "OpenPropertyStore(STGM_READ): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return hr;
    hr = IPropertyStore_GetValue(store, key, pv);
    ok(hr == S_OK, "GetValue: got %08lx, expected S_OK\n", hr);
    IPropertyStore_Release(store);
    return hr;
}

/* A VT_LPWSTR property; compared with expect unless NULL (case-insensitively if nocase). */
static void check_string(IMMDevice *dev, const PROPERTYKEY *key, const char *name,
                         const WCHAR *expect, BOOL nocase)
{
    PROPVARIANT pv;

    if (get_value(dev, key, &pv) != S_OK) return;
    if (ok(pv.vt == VT_LPWSTR && pv.pwszVal, "%s: vt %u, expected VT_LPWSTR\n", name, pv.vt) && expect)
        ok(!(nocase ? _wcsicmp : wcscmp)(pv.pwszVal, expect), "%s is %s, expected %s\n", name,
           dbgstr_w(pv.pwszVal), dbgstr_w(expect));
    PropVariantClear(&pv);
}

/* A VT_UI4 property; compared with expect unless check is FALSE. */
static void check_uint(IMMDevice *dev, const PROPERTYKEY *key, const char *name, BOOL check, ULONG expect)
{
    PROPVARIANT pv;

    if (get_value(dev, key, &pv) != S_OK) return;
    if (ok(pv.vt == VT_UI4, "%s: vt %u, expected VT_UI4\n", name, pv.vt) && check)
        ok(pv.ulVal == expect, "%s is %#lx, expected %#lx\n", name, pv.ulVal, expect);
    PropVariantClear(&pv);
}

static DWORD channel_mask(WORD channels)
{
    switch (channels)
    {
    case 1: return SPEAKER_FRONT_CENTER;
    case 2: return SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT;
    default: return 0;  /* the harness promises no more */
    }
}

static void check_device_format(IMMDevice *dev, const struct test_format *fmt)
{
    const WAVEFORMATEXTENSIBLE *wfx;
    PROPVARIANT pv;
    WORD block;

    if (get_value(dev, &PKEY_AudioEngine_DeviceFormat, &pv) != S_OK) return;
    if (!ok(pv.vt == VT_BLOB && pv.blob.cbSize == sizeof(*wfx), "DeviceFormat: vt %u size %lu, expected "
            "VT_BLOB of a WAVEFORMATEXTENSIBLE (%u bytes)\n", pv.vt, pv.blob.cbSize, (UINT)sizeof(*wfx)))
        goto done;

    wfx = (const WAVEFORMATEXTENSIBLE *)pv.blob.pBlobData;
    block = wfx->Format.nChannels * wfx->Format.wBitsPerSample / 8;
    ok(wfx->Format.wFormatTag == WAVE_FORMAT_EXTENSIBLE && wfx->Format.cbSize == 22,
       "DeviceFormat: tag %#x cbSize %u, expected WAVE_FORMAT_EXTENSIBLE and 22\n",
       wfx->Format.wFormatTag, wfx->Format.cbSize);
    ok(wfx->Format.nBlockAlign == block && wfx->Format.nAvgBytesPerSec == wfx->Format.nSamplesPerSec * block,
       "DeviceFormat: block align %u, bytes/s %lu, inconsistent with %u ch %u bits %lu Hz\n",
       wfx->Format.nBlockAlign, wfx->Format.nAvgBytesPerSec, wfx->Format.nChannels,
       wfx->Format.wBitsPerSample, wfx->Format.nSamplesPerSec);
    if (!fmt) goto done;

    ok(IsEqualGUID(&wfx->SubFormat, fmt->is_float ? &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT : &KSDATAFORMAT_SUBTYPE_PCM),
       "DeviceFormat: wrong subformat, expected %s\n", fmt->is_float ? "IEEE_FLOAT" : "PCM");
    ok(wfx->Format.wBitsPerSample == fmt->bits && wfx->Samples.wValidBitsPerSample == fmt->bits,
       "DeviceFormat: %u/%u bits, expected %u/%u\n", wfx->Format.wBitsPerSample,
       wfx->Samples.wValidBitsPerSample, fmt->bits, fmt->bits);
    ok(wfx->Format.nSamplesPerSec == fmt->rate && wfx->Format.nChannels == fmt->channels,
       "DeviceFormat: %lu Hz %u ch, expected %lu Hz %u ch\n", wfx->Format.nSamplesPerSec,
       wfx->Format.nChannels, fmt->rate, fmt->channels);
    if (channel_mask(fmt->channels))
        ok(wfx->dwChannelMask == channel_mask(fmt->channels), "DeviceFormat: channel mask %#lx, "
           "expected %#lx\n", wfx->dwChannelMask, channel_mask(fmt->channels));
done:
    PropVariantClear(&pv);
}

/* Every property Windows gives an endpoint, with the values the harness promises. */
static void test_endpoint_properties(IMMDevice *dev, EDataFlow flow)
{
    const WCHAR *iface_name = flow == eRender ? env.render_name : env.capture_name;
    const WCHAR *desc = flow == eRender ? L"Speakers" : L"Microphone";
    const struct test_format *fmt = flow == eRender ? &env.render_format : &env.capture_format;
    WCHAR friendly[300], guid[40] = {0}, path[160] = {0}, class[40], *id;
    PROPVARIANT pv;

    if ((id = get_id(dev)))
    {
        if (wcslen(id) == 55) wcscpy(guid, id + 17);
        StringFromGUID2(flow == eRender ? &DEVINTERFACE_AUDIO_RENDER : &DEVINTERFACE_AUDIO_CAPTURE, class,
                        ARRAY_SIZE(class));
        _wcslwr(class);
        _snwprintf(path, ARRAY_SIZE(path) - 1, L"{2}.\\\\?\\SWD#MMDEVAPI#%s#%s", id, class);
        CoTaskMemFree(id);
    }
    _snwprintf(friendly, ARRAY_SIZE(friendly), L"%s (%s)", desc, iface_name);
    friendly[ARRAY_SIZE(friendly) - 1] = 0;

    check_string(dev, PKEY_OF(DEVPKEY_DeviceInterface_FriendlyName), "DeviceInterface_FriendlyName",
                 have_backend ? iface_name : NULL, FALSE);
    check_string(dev, PKEY_OF(DEVPKEY_Device_DeviceDesc), "Device_DeviceDesc",
                 have_backend ? desc : NULL, FALSE);
    check_string(dev, PKEY_OF(DEVPKEY_Device_FriendlyName), "Device_FriendlyName",
                 have_backend ? friendly : NULL, FALSE);
    check_string(dev, &PKEY_AudioEndpoint_GUID, "AudioEndpoint_GUID", guid[0] ? guid : NULL, TRUE);
    check_uint(dev, &PKEY_AudioEndpoint_FormFactor, "AudioEndpoint_FormFactor", have_backend,
               flow == eRender ? Speakers : Microphone);
    /* Windows defines it for speakers; our module gives capture endpoints their mask too. */
    if (have_backend || flow == eRender)
        check_uint(dev, &PKEY_AudioEndpoint_PhysicalSpeakers, "AudioEndpoint_PhysicalSpeakers",
                   have_backend && channel_mask(fmt->channels), channel_mask(fmt->channels));
    check_device_format(dev, have_backend ? fmt : NULL);

    /* Windows keeps "{2}." and the device interface path of the endpoint's kernel-streaming filter
     * there (Wine's tests want a VT_LPWSTR); ours, without such a filter, the endpoint's own device
     * interface path, which ActivateAudioInterfaceAsync takes. */
    if (get_value(dev, &key_device_interface, &pv) == S_OK)
    {
        ok(pv.vt == VT_LPWSTR && !wcsncmp(pv.pwszVal, L"{2}.\\\\?\\", 8), "device interface key: vt %u %s, "
           "expected VT_LPWSTR \"{2}.\\\\?\\...\"\n", pv.vt, pv.vt == VT_LPWSTR ? dbgstr_w(pv.pwszVal) : "");
        if (have_backend && pv.vt == VT_LPWSTR)
            ok(!wcscmp(pv.pwszVal, path), "device interface key is %s, expected %s\n", dbgstr_w(pv.pwszVal),
               dbgstr_w(path));
        PropVariantClear(&pv);
    }
}

static void test_property_persistence(IMMDevice *dev)
{
    IMMDeviceEnumerator *mme;
    IPropertyStore *store;
    IMMDevice *again;
    WCHAR value[64], *id;
    PROPVARIANT pv;
    HRESULT hr;

    /* A value no earlier run can have left behind. */
    _snwprintf(value, ARRAY_SIZE(value), L"conformance %lu.%lu", GetCurrentProcessId(), GetTickCount());
    value[ARRAY_SIZE(value) - 1] = 0;

    hr = IMMDevice_OpenPropertyStore(dev, STGM_READWRITE, &store);
    ok(hr == S_OK, "OpenPropertyStore(STGM_READWRITE): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    pv.vt = VT_LPWSTR;
    pv.pwszVal = value;
    hr = IPropertyStore_SetValue(store, &key_test_persist, &pv);
    ok(hr == S_OK, "SetValue(VT_LPWSTR) on a STGM_READWRITE store: got %08lx, expected S_OK\n", hr);
    hr = IPropertyStore_Commit(store);
    ok(hr == S_OK, "Commit: got %08lx, expected S_OK\n", hr);
    IPropertyStore_Release(store);

    if (!(id = get_id(dev)) || !(mme = create_enumerator()))
    {
        CoTaskMemFree(id);
        return;
    }
    hr = IMMDeviceEnumerator_GetDevice(mme, id, &again);
    ok(hr == S_OK, "GetDevice(%s): got %08lx, expected S_OK\n", dbgstr_w(id), hr);
    if (hr == S_OK)
    {
        check_string(again, &key_test_persist, "the value just set", value, FALSE);
        IMMDevice_Release(again);
    }
    IMMDeviceEnumerator_Release(mme);
    CoTaskMemFree(id);
}

static void test_default_devices(IMMDeviceEnumerator *mme)
{
    IMMDevice *dev;
    size_t f;

    for (f = 0; f < ARRAY_SIZE(flows); f++)
    {
        if (!(dev = get_default(mme, flows[f])))
        {
            skip("no default %s endpoint: IMMDevice and property checks not run\n", flow_name(flows[f]));
            continue;
        }
        test_device(dev, flows[f]);
        test_activate_dsound(dev, flows[f]);
        test_activate_renderer(dev, flows[f]);
        test_activate_topology(dev, flows[f]);
        test_property_store(dev);
        test_endpoint_properties(dev, flows[f]);
        test_property_persistence(dev);
        IMMDevice_Release(dev);
    }
}

/* ---- Ids from one process to the next --------------------------------------------------------- */

static int compare_ids(const void *a, const void *b)
{
    return wcscmp(*(WCHAR *const *)a, *(WCHAR *const *)b);
}

static void append_utf8(char *buf, size_t size, const char *label, const WCHAR *id)
{
    size_t len = strlen(buf);
    char utf8[512];

    if (!id) strcpy(utf8, "-");
    else WideCharToMultiByte(CP_UTF8, 0, id, -1, utf8, sizeof(utf8), NULL, NULL);
    _snprintf(buf + len, size - len, "%s %s\n", label, utf8);
    buf[size - 1] = 0;
}

/* The default render and capture ids, then every endpoint's id, sorted, one a line. */
static void format_ids(IMMDeviceEnumerator *mme, char *buf, size_t size)
{
    IMMDeviceCollection *coll;
    WCHAR *ids[64];
    UINT count = 0, i, n = 0;
    IMMDevice *dev;
    size_t f;

    buf[0] = 0;
    for (f = 0; f < ARRAY_SIZE(flows); f++)
    {
        WCHAR *id = NULL;

        if (IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, flows[f], eConsole, &dev) == S_OK)
        {
            IMMDevice_GetId(dev, &id);
            IMMDevice_Release(dev);
        }
        append_utf8(buf, size, flow_name(flows[f]), id);
        CoTaskMemFree(id);
    }

    if (IMMDeviceEnumerator_EnumAudioEndpoints(mme, eAll, DEVICE_STATEMASK_ALL, &coll) != S_OK) return;
    IMMDeviceCollection_GetCount(coll, &count);
    for (i = 0; i < count && n < ARRAY_SIZE(ids); i++)
    {
        if (IMMDeviceCollection_Item(coll, i, &dev) != S_OK) continue;
        if (IMMDevice_GetId(dev, &ids[n]) == S_OK) n++;
        IMMDevice_Release(dev);
    }
    IMMDeviceCollection_Release(coll);

    qsort(ids, n, sizeof(ids[0]), compare_ids);
    for (i = 0; i < n; i++)
    {
        append_utf8(buf, size, "endpoint", ids[i]);
        CoTaskMemFree(ids[i]);
    }
}

static int print_ids(void)
{
    IMMDeviceEnumerator *mme;
    static char buf[16384];

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER,
                         &IID_IMMDeviceEnumerator, (void **)&mme) != S_OK)
        return 1;
    format_ids(mme, buf, sizeof(buf));
    fputs(buf, stdout);
    fflush(stdout);
    IMMDeviceEnumerator_Release(mme);
    CoUninitialize();
    return 0;
}

/* Keeps the lines of format_ids() in what the child printed: its stdout is in text mode ("\r\n"),
 * and libraries under it may write to the same file. */
static void keep_id_lines(char *text)
{
    char *line, *next, *out = text;
    size_t len;

    for (line = text; *line; line = next)
    {
        len = strcspn(line, "\r\n");
        next = line + len + strspn(line + len, "\r\n");
        if (strncmp(line, "render ", 7) && strncmp(line, "capture ", 8) && strncmp(line, "endpoint ", 9))
            continue;
        memmove(out, line, len);
        out += len;
        *out++ = '\n';
    }
    *out = 0;
}

static void test_stable_ids(IMMDeviceEnumerator *mme)
{
    static char mine[16384], theirs[16384];
    SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
    WCHAR exe[MAX_PATH], cmdline[MAX_PATH + 32], dir[MAX_PATH], tmp[MAX_PATH];
    STARTUPINFOW si = {.cb = sizeof(si)};
    PROCESS_INFORMATION pi;
    DWORD read = 0, code = 1;
    HANDLE file;

    GetModuleFileNameW(NULL, exe, ARRAY_SIZE(exe));
    GetTempPathW(ARRAY_SIZE(dir), dir);
    GetTempFileNameW(dir, L"mmd", 0, tmp);
    file = CreateFileW(tmp, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                       CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    if (!ok(file != INVALID_HANDLE_VALUE, "CreateFile(%s) failed: %lu\n", dbgstr_w(tmp), GetLastError()))
        return;

    _snwprintf(cmdline, ARRAY_SIZE(cmdline), L"\"%s\" --print-ids", exe);
    cmdline[ARRAY_SIZE(cmdline) - 1] = 0;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = NULL;
    si.hStdOutput = si.hStdError = file;
    if (ok(CreateProcessW(exe, cmdline, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi),
           "CreateProcess(%s) failed: %lu\n", dbgstr_w(cmdline), GetLastError()))
    {
        ok(WaitForSingleObject(pi.hProcess, 60000) == WAIT_OBJECT_0, "the --print-ids process did not end\n");
        GetExitCodeProcess(pi.hProcess, &code);
        ok(code == 0, "the --print-ids process exited with %lu\n", code);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);

        SetFilePointer(file, 0, NULL, FILE_BEGIN);
        ReadFile(file, theirs, sizeof(theirs) - 1, &read, NULL);
        theirs[read] = 0;
        keep_id_lines(theirs);
        format_ids(mme, mine, sizeof(mine));
        ok(!strcmp(mine, theirs), "endpoint ids differ between two processes:\n%s-- and --\n%s",
           mine, theirs);
    }
    CloseHandle(file);
}

/* ---- Is the module under test ours? ------------------------------------------------------------ */

/* The ProductName of the mmdevapi.dll loaded in this process, from its version resource in memory
 * (not from a file, which could be another copy); "" if it has none. */
static void loaded_product_name(char *name, size_t size)
{
    HMODULE module = GetModuleHandleA("mmdevapi.dll");
    HRSRC resource;
    char *copy, *value;
    DWORD length;
    UINT value_len;

    name[0] = 0;
    if (!ok(module != NULL, "mmdevapi.dll is not loaded\n")) return;
    if (!(resource = FindResourceW(module, MAKEINTRESOURCEW(VS_VERSION_INFO), (const WCHAR *)RT_VERSION))) return;
    length = SizeofResource(module, resource);
    if (!(copy = malloc(length))) return;
    memcpy(copy, LockResource(LoadResource(module, resource)), length);
    if (VerQueryValueA(copy, "\\StringFileInfo\\040904b0\\ProductName", (void **)&value, &value_len))
        lstrcpynA(name, value, size);
    free(copy);
}

static void test_module_identity(IMMDeviceEnumerator *mme)
{
    IMMDeviceCollection *coll;
    IMMDevice *dev;
    char product[64];
    UINT count = 0, i;
    size_t f;
    HRESULT hr;

    if (env.backend == TEST_BACKEND_UNSET)
    {
        skip("MMDEVAPI_TEST_BACKEND unset: not checking that the module under test is ours\n");
        return;
    }

    /* Wine's mmdevapi.dll calls itself "Wine"; ours names the project. */
    loaded_product_name(product, sizeof(product));
    ok(!strcmp(product, "mmdevapi-ng"), "the loaded mmdevapi.dll's ProductName is \"%s\", expected \"mmdevapi-ng\"\n",
       product);

    /* Our backend key, on every endpoint. */
    hr = IMMDeviceEnumerator_EnumAudioEndpoints(mme, eAll, DEVICE_STATEMASK_ALL, &coll);
    ok(hr == S_OK, "EnumAudioEndpoints: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        IMMDeviceCollection_GetCount(coll, &count);
        for (i = 0; i < count; i++)
        {
            if (IMMDeviceCollection_Item(coll, i, &dev) != S_OK) continue;
            check_string(dev, &key_module_backend, "our backend key", env.backend_name, FALSE);
            IMMDevice_Release(dev);
        }
        IMMDeviceCollection_Release(coll);
    }

    /* Our backend device name key, on the harness's endpoints. */
    for (f = 0; f < ARRAY_SIZE(flows) && have_backend; f++)
    {
        const WCHAR *name = env.backend == TEST_BACKEND_ALSA ? L"default"
                          : flows[f] == eRender ? L"mmdevtest_sink" : L"mmdevtest_source";

        if (!(dev = get_default(mme, flows[f]))) continue;
        check_string(dev, &key_module_device, "our backend device key", name, FALSE);
        IMMDevice_Release(dev);
    }
}

int main(int argc, char **argv)
{
    IMMDeviceEnumerator *mme;
    HRESULT hr;

    if (argc > 1 && !strcmp(argv[1], "--print-ids")) return print_ids();

    test_read_env(&env);
    have_backend = env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_ALSA
                   || env.backend == TEST_BACKEND_PIPEWIRE;
    if (env.backend == TEST_BACKEND_UNSET)
        skip("MMDEVAPI_TEST_BACKEND unset: checking behaviour, not the harness's endpoints\n");

    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    ok(hr == S_OK, "CoInitializeEx(MTA): got %08lx\n", hr);

    test_single_enumerator();
    test_exports();
    test_create_instance();
    if ((mme = create_enumerator()))
    {
        test_enum_endpoints(mme);
        test_collection(mme);
        test_default_endpoint(mme);
        test_get_device(mme);
        test_notification_client(mme);
        if (env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_PIPEWIRE)
        {
            test_endpoint_changes(mme);
            test_capture_gone(mme);
            test_follow_default(mme);
            test_follow_default_capture(mme);
        }
        test_default_devices(mme);
        test_stable_ids(mme);
        test_module_identity(mme);
        IMMDeviceEnumerator_Release(mme);
    }

    CoUninitialize();
    return test_summary();
}
