/* The DirectSound objects IMMDevice::Activate hands out, as Windows does: IDirectSound(8) and
 * IDirectSoundCapture(8) for the endpoint, and DirectShow's DirectSound renderer (IBaseFilter) set
 * to it. Their DLLs are loaded through COM on first use only: programs that never ask pay nothing.
 * Under Wine, DirectSound names devices by the endpoints' PKEY_AudioEndpoint_GUID, ours. */
#include "private.h"
#include <dsound.h>
#include <dshow.h>

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

HRESULT dsound_create(struct mmdevice *device, REFIID riid, DWORD clsctx, void **out)
{
    IDirectSound *dsound;
    HRESULT hr;

    if (device->flow != eRender) return E_NOINTERFACE;
    if (FAILED(hr = CoCreateInstance(&CLSID_DirectSound8, NULL, clsctx, riid, (void **)&dsound))) return hr;
    if (FAILED(hr = IDirectSound_Initialize(dsound, &device->guid)))
    {
        IDirectSound_Release(dsound);
        return hr;
    }
    *out = dsound;
    return S_OK;
}

HRESULT dsound_capture_create(struct mmdevice *device, DWORD clsctx, void **out)
{
    IDirectSoundCapture *capture;
    HRESULT hr;

    if (device->flow != eCapture) return E_NOINTERFACE;
    if (FAILED(hr = CoCreateInstance(&CLSID_DirectSoundCapture8, NULL, clsctx, &IID_IDirectSoundCapture,
                                     (void **)&capture)))
        return hr;
    if (FAILED(hr = IDirectSoundCapture_Initialize(capture, &device->guid)))
    {
        IDirectSoundCapture_Release(capture);
        return hr;
    }
    *out = capture;
    return S_OK;
}

/* What the renderer reads on IPersistPropertyBag::Load: the DirectSound device as "DSGuid", as in
 * the property bag of Windows' audio renderer monikers. It lives on the stack for the call. */
struct renderer_bag
{
    IPropertyBag IPropertyBag_iface;
    const GUID *guid;
};

static HRESULT WINAPI bag_QueryInterface(IPropertyBag *iface, REFIID riid, void **out)
{
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IPropertyBag))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    return S_OK;
}

static ULONG WINAPI bag_AddRef(IPropertyBag *iface)
{
    return 2;
}

static ULONG WINAPI bag_Release(IPropertyBag *iface)
{
    return 1;
}

static HRESULT WINAPI bag_Read(IPropertyBag *iface, const WCHAR *name, VARIANT *value, IErrorLog *log)
{
    struct renderer_bag *bag = CONTAINING_RECORD(iface, struct renderer_bag, IPropertyBag_iface);
    WCHAR guid[39];

    TRACE("(%p)->(%s, %p, %p)\n", bag, debugstr_w(name), value, log);
    if (!name || !value) return E_POINTER;
    if (wcscmp(name, L"DSGuid")) return E_INVALIDARG;
    StringFromGUID2(bag->guid, guid, ARRAY_SIZE(guid));
    if (!(V_BSTR(value) = SysAllocString(guid))) return E_OUTOFMEMORY;
    V_VT(value) = VT_BSTR;
    return S_OK;
}

static HRESULT WINAPI bag_Write(IPropertyBag *iface, const WCHAR *name, VARIANT *value)
{
    return E_ACCESSDENIED;
}

static const IPropertyBagVtbl bag_vtbl =
{
    bag_QueryInterface,
    bag_AddRef,
    bag_Release,
    bag_Read,
    bag_Write,
};

HRESULT dsound_renderer_create(struct mmdevice *device, DWORD clsctx, void **out)
{
    struct renderer_bag bag = { { &bag_vtbl }, &device->guid };
    IPersistPropertyBag *persist;
    IBaseFilter *filter;
    HRESULT hr;

    if (device->flow != eRender) return E_NOINTERFACE;
    if (FAILED(hr = CoCreateInstance(&CLSID_DSoundRender, NULL, clsctx, &IID_IBaseFilter, (void **)&filter)))
        return hr;
    if (SUCCEEDED(IBaseFilter_QueryInterface(filter, &IID_IPersistPropertyBag, (void **)&persist)))
    {
        hr = IPersistPropertyBag_Load(persist, &bag.IPropertyBag_iface, NULL);
        IPersistPropertyBag_Release(persist);
        if (FAILED(hr))
        {
            IBaseFilter_Release(filter);
            return hr;
        }
    }
    /* Wine 8's renderer cannot be set to a device: it plays on the default one. */
    else if (device != device_default(eRender))
        FIXME("DirectShow's renderer plays on the default device, not on %s\n", debugstr_w(device->id));
    *out = filter;
    return S_OK;
}
