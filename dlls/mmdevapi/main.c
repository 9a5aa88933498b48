/* The DLL's entry points: the class object of MMDeviceEnumerator and its registration. */
/* This file defines the GUIDs and property keys the others declare. */
#include <initguid.h>
#include "private.h"
#include <audioclient.h>
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

static const WCHAR enumerator_clsid_key[] = L"CLSID\\{BCDE0395-E52F-467C-8E3D-C4579291692E}";

HRESULT WINAPI DllRegisterServer(void)
{
    static const WCHAR name[] = L"MMDeviceEnumerator class", dll[] = L"mmdevapi.dll", model[] = L"Both";
    HKEY key, server;
    LSTATUS status;

    TRACE("()\n");
    if ((status = RegCreateKeyExW(HKEY_CLASSES_ROOT, enumerator_clsid_key, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key, NULL)))
        return HRESULT_FROM_WIN32(status);
    status = RegSetValueExW(key, NULL, 0, REG_SZ, (const BYTE *)name, sizeof(name));
    if (!status && !(status = RegCreateKeyExW(key, L"InprocServer32", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &server, NULL)))
    {
        status = RegSetValueExW(server, NULL, 0, REG_SZ, (const BYTE *)dll, sizeof(dll));
        if (!status) status = RegSetValueExW(server, L"ThreadingModel", 0, REG_SZ, (const BYTE *)model, sizeof(model));
        RegCloseKey(server);
    }
    RegCloseKey(key);
    return HRESULT_FROM_WIN32(status);
}

HRESULT WINAPI DllUnregisterServer(void)
{
    LSTATUS status;

    TRACE("()\n");
    status = RegDeleteTreeW(HKEY_CLASSES_ROOT, enumerator_clsid_key);
    return status == ERROR_FILE_NOT_FOUND ? S_OK : HRESULT_FROM_WIN32(status);
}
