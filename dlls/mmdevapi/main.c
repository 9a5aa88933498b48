/* The DLL's entry points: the class object of MMDeviceEnumerator and its registration. */
/* This file defines the GUIDs and property keys the others declare. */
#include <initguid.h>
#include "private.h"
#include <audioclient.h>
#include <devicetopology.h>
#include <audiopolicy.h>
#include <dsound.h>
#include <strmif.h>
#include <uuids.h>
#include <propkeydef.h>
#include "mmdevapi_pkeys.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

static HRESULT WINAPI factory_QueryInterface(IClassFactory *iface, REFIID riid, void **out)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IClassFactory))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    return S_OK;
}

/* The class object is static and lives as long as the DLL. */
static ULONG WINAPI factory_AddRef(IClassFactory *iface)
{
    return 2;
}

static ULONG WINAPI factory_Release(IClassFactory *iface)
{
    return 1;
}

static HRESULT WINAPI factory_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **out)
{
    TRACE("(%p)->(%p, %s, %p)\n", iface, outer, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    return enumerator_create(riid, out);
}

static HRESULT WINAPI factory_LockServer(IClassFactory *iface, BOOL lock)
{
    TRACE("(%p)->(%d)\n", iface, lock);
    return S_OK;
}

static const IClassFactoryVtbl factory_vtbl =
{
    factory_QueryInterface,
    factory_AddRef,
    factory_Release,
    factory_CreateInstance,
    factory_LockServer,
};

static IClassFactory enumerator_factory = { &factory_vtbl };

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **out)
{
    TRACE("(%s, %s, %p)\n", debugstr_guid(clsid), debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (!IsEqualCLSID(clsid, &CLSID_MMDeviceEnumerator)) return CLASS_E_CLASSNOTAVAILABLE;
    return IClassFactory_QueryInterface(&enumerator_factory, riid, out);
}

/* Endpoints handed to programs are never freed, so the DLL stays. */
HRESULT WINAPI DllCanUnloadNow(void)
{
    return S_FALSE;
}

/* winecrt0 runs the WINE_REGISTRY script of mmdevapi.rc. Its functions are cdecl, which on i386
 * differs from WINAPI. */
extern HRESULT __cdecl __wine_register_resources(void);
extern HRESULT __cdecl __wine_unregister_resources(void);

HRESULT WINAPI DllRegisterServer(void)
{
    TRACE("()\n");
    return __wine_register_resources();
}

HRESULT WINAPI DllUnregisterServer(void)
{
    TRACE("()\n");
    return __wine_unregister_resources();
}
