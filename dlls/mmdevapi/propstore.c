/* IPropertyStore of an endpoint, kept in the registry as Windows keeps it: one value a property
 * under the endpoint's Properties key, named "{fmtid},pid". */
#include <stdio.h>
#include "private.h"
#include <propsys.h>

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

struct property_store
{
    IPropertyStore IPropertyStore_iface;
    LONG ref;
    struct mmdevice *device;
    DWORD access;
};

static inline struct property_store *impl_from_IPropertyStore(IPropertyStore *iface)
{
    return CONTAINING_RECORD(iface, struct property_store, IPropertyStore_iface);
}

#define PROPERTY_NAME_MAX 48

static void property_name(const PROPERTYKEY *key, WCHAR name[PROPERTY_NAME_MAX])
{
    const GUID *g = &key->fmtid;

    swprintf(name, PROPERTY_NAME_MAX, L"{%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x},%lu", g->Data1, g->Data2,
             g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6],
             g->Data4[7], key->pid);
}

static BOOL parse_property_name(const WCHAR *name, PROPERTYKEY *key)
{
    WCHAR guid[39], *end;

    if (wcslen(name) < 40 || name[38] != ',') return FALSE;
    memcpy(guid, name, 38 * sizeof(WCHAR));
    guid[38] = 0;
    if (CLSIDFromString(guid, &key->fmtid) != S_OK) return FALSE;
    key->pid = wcstoul(name + 39, &end, 10);
    return !*end;
}

/* Sets a registry value unless it holds that already: a write marks the registry changed, and
 * the wineserver then saves all of it (3 MB in a prefix with both of Wine's halves) and serves no
 * one meanwhile, the programs' audio events included. Every enumeration stores the endpoints'
 * properties again, mostly unchanged. */
LSTATUS registry_set_value(HKEY key, const WCHAR *name, DWORD type, const void *data, DWORD size)
{
    DWORD old_type, old_size = size;
    BYTE *old;
    BOOL same;

    if ((old = malloc(size ? size : 1)))
    {
        same = !RegQueryValueExW(key, name, NULL, &old_type, old, &old_size) && old_type == type
               && old_size == size && !memcmp(old, data, size);
        free(old);
        if (same) return ERROR_SUCCESS;
    }
    return RegSetValueExW(key, name, 0, type, data, size);
}

/* The one place that says how a PROPVARIANT is kept in the registry. */
HRESULT property_write(HKEY properties, const PROPERTYKEY *key, const PROPVARIANT *value)
{
    WCHAR name[PROPERTY_NAME_MAX];
    LSTATUS status;

    property_name(key, name);
    switch (value->vt)
    {
    case VT_LPWSTR:
        status = registry_set_value(properties, name, REG_SZ, value->pwszVal,
                                    (wcslen(value->pwszVal) + 1) * sizeof(WCHAR));
        break;
    case VT_UI4:
        status = registry_set_value(properties, name, REG_DWORD, &value->ulVal, sizeof(DWORD));
        break;
    case VT_BLOB:
        status = registry_set_value(properties, name, REG_BINARY, value->blob.pBlobData, value->blob.cbSize);
        break;
    default:
        FIXME("cannot store a property of type %u\n", value->vt);
        return E_INVALIDARG;
    }
    return HRESULT_FROM_WIN32(status);
}

static HRESULT property_read(HKEY properties, const PROPERTYKEY *key, PROPVARIANT *value)
{
    WCHAR name[PROPERTY_NAME_MAX];
    DWORD type, size;
    BYTE *data;

    property_name(key, name);
    if (RegQueryValueExW(properties, name, NULL, &type, NULL, &size)) return S_OK;    /* VT_EMPTY */
    if (!(data = CoTaskMemAlloc(size + sizeof(WCHAR)))) return E_OUTOFMEMORY;
    if (RegQueryValueExW(properties, name, NULL, &type, data, &size))
    {
        CoTaskMemFree(data);
        return S_OK;
    }
    switch (type)
    {
    case REG_SZ:
        ((WCHAR *)data)[size / sizeof(WCHAR)] = 0;    /* the registry does not promise a terminator */
        value->vt = VT_LPWSTR;
        value->pwszVal = (WCHAR *)data;
        return S_OK;
    case REG_DWORD:
        value->vt = VT_UI4;
        value->ulVal = *(DWORD *)data;
        break;
    case REG_BINARY:
        value->vt = VT_BLOB;
        value->blob.cbSize = size;
        value->blob.pBlobData = data;
        return S_OK;
    default:
        WARN("property %s has registry type %lu\n", debugstr_w(name), type);
        break;
    }
    CoTaskMemFree(data);
    return S_OK;
}

static HRESULT WINAPI store_QueryInterface(IPropertyStore *iface, REFIID riid, void **out)
{
    struct property_store *store = impl_from_IPropertyStore(iface);

    TRACE("(%p)->(%s, %p)\n", store, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IPropertyStore))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    IPropertyStore_AddRef(iface);
    return S_OK;
}

static ULONG WINAPI store_AddRef(IPropertyStore *iface)
{
    struct property_store *store = impl_from_IPropertyStore(iface);
    ULONG ref = InterlockedIncrement(&store->ref);

    TRACE("(%p) ref %lu\n", store, ref);
    return ref;
}

static ULONG WINAPI store_Release(IPropertyStore *iface)
{
    struct property_store *store = impl_from_IPropertyStore(iface);
    ULONG ref = InterlockedDecrement(&store->ref);

    TRACE("(%p) ref %lu\n", store, ref);
    if (!ref) free(store);
    return ref;
}

static HRESULT WINAPI store_GetCount(IPropertyStore *iface, DWORD *count)
{
    struct property_store *store = impl_from_IPropertyStore(iface);
    HKEY key;

    TRACE("(%p)->(%p)\n", store, count);
    if (!count) return E_POINTER;
    *count = 0;
    if (!(key = device_open_key(store->device, L"Properties", KEY_READ))) return S_OK;
    RegQueryInfoKeyW(key, NULL, NULL, NULL, NULL, NULL, NULL, count, NULL, NULL, NULL, NULL);
    RegCloseKey(key);
    return S_OK;
}

static HRESULT WINAPI store_GetAt(IPropertyStore *iface, DWORD index, PROPERTYKEY *pkey)
{
    struct property_store *store = impl_from_IPropertyStore(iface);
    WCHAR name[PROPERTY_NAME_MAX + 1];
    DWORD size = ARRAY_SIZE(name);
    HRESULT hr = E_INVALIDARG;
    HKEY key;

    TRACE("(%p)->(%lu, %p)\n", store, index, pkey);
    if (!pkey) return E_POINTER;
    if (!(key = device_open_key(store->device, L"Properties", KEY_READ))) return E_INVALIDARG;
    if (!RegEnumValueW(key, index, name, &size, NULL, NULL, NULL, NULL) && parse_property_name(name, pkey))
        hr = S_OK;
    RegCloseKey(key);
    return hr;
}

static HRESULT WINAPI store_GetValue(IPropertyStore *iface, REFPROPERTYKEY pkey, PROPVARIANT *value)
{
    struct property_store *store = impl_from_IPropertyStore(iface);
    HRESULT hr;
    HKEY key;

    TRACE("(%p)->(%p, %p)\n", store, pkey, value);
    if (!pkey || !value) return E_POINTER;
    PropVariantInit(value);
    if (!(key = device_open_key(store->device, L"Properties", KEY_READ))) return S_OK;
    hr = property_read(key, pkey, value);
    RegCloseKey(key);
    return hr;
}

static HRESULT WINAPI store_SetValue(IPropertyStore *iface, REFPROPERTYKEY pkey, REFPROPVARIANT value)
{
    struct property_store *store = impl_from_IPropertyStore(iface);
    HRESULT hr;
    HKEY key;

    TRACE("(%p)->(%p, %p)\n", store, pkey, value);
    if (!pkey || !value) return E_POINTER;
    if (store->access == STGM_READ) return STG_E_ACCESSDENIED;
    if (!(key = device_open_key(store->device, L"Properties", KEY_QUERY_VALUE | KEY_SET_VALUE))) return E_FAIL;
    hr = property_write(key, pkey, value);
    RegCloseKey(key);
    return hr;
}

static HRESULT WINAPI store_Commit(IPropertyStore *iface)
{
    struct property_store *store = impl_from_IPropertyStore(iface);

    TRACE("(%p)\n", store);
    /* SetValue writes through: there is nothing left to commit. */
    return store->access == STGM_READ ? STG_E_ACCESSDENIED : S_OK;
}

static const IPropertyStoreVtbl store_vtbl =
{
    store_QueryInterface,
    store_AddRef,
    store_Release,
    store_GetCount,
    store_GetAt,
    store_GetValue,
    store_SetValue,
    store_Commit,
};

HRESULT property_store_create(struct mmdevice *device, DWORD access, IPropertyStore **out)
{
    struct property_store *store;

    if (!(store = malloc(sizeof(*store)))) return E_OUTOFMEMORY;
    store->IPropertyStore_iface.lpVtbl = &store_vtbl;
    store->ref = 1;
    store->device = device;
    store->access = access;
    *out = &store->IPropertyStore_iface;
    return S_OK;
}
