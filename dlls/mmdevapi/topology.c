/* IDeviceTopology of an endpoint, and its one IConnector. On Windows the endpoint's connector leads
 * to the topology of the adapter's kernel-streaming filters; here the endpoint is fed by a sound
 * server, not by a device topology, so the connector is a Software_IO one that leads nowhere a
 * program can follow (GetConnectedTo: E_NOTFOUND, as Windows answers for such connections). */
#include "private.h"
#include <devicetopology.h>

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

/* The topology and its connector: two COM objects, one lifetime. */
struct topology
{
    IDeviceTopology IDeviceTopology_iface;
    IConnector IConnector_iface;
    LONG ref;
    struct mmdevice *device;
};

static inline struct topology *impl_from_IDeviceTopology(IDeviceTopology *iface)
{
    return CONTAINING_RECORD(iface, struct topology, IDeviceTopology_iface);
}

static inline struct topology *impl_from_IConnector(IConnector *iface)
{
    return CONTAINING_RECORD(iface, struct topology, IConnector_iface);
}

static HRESULT WINAPI topology_QueryInterface(IDeviceTopology *iface, REFIID riid, void **out)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IDeviceTopology))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    IDeviceTopology_AddRef(iface);
    return S_OK;
}

static ULONG WINAPI topology_AddRef(IDeviceTopology *iface)
{
    struct topology *topology = impl_from_IDeviceTopology(iface);
    ULONG ref = InterlockedIncrement(&topology->ref);

    TRACE("(%p) ref %lu\n", topology, ref);
    return ref;
}

static ULONG WINAPI topology_Release(IDeviceTopology *iface)
{
    struct topology *topology = impl_from_IDeviceTopology(iface);
    ULONG ref = InterlockedDecrement(&topology->ref);

    TRACE("(%p) ref %lu\n", topology, ref);
    if (!ref) free(topology);
    return ref;
}

static HRESULT WINAPI topology_GetConnectorCount(IDeviceTopology *iface, UINT *count)
{
    TRACE("(%p)->(%p)\n", iface, count);
    if (!count) return E_POINTER;
    *count = 1;
    return S_OK;
}

static HRESULT WINAPI topology_GetConnector(IDeviceTopology *iface, UINT index, IConnector **out)
{
    struct topology *topology = impl_from_IDeviceTopology(iface);

    TRACE("(%p)->(%u, %p)\n", topology, index, out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (index) return E_INVALIDARG;
    *out = &topology->IConnector_iface;
    IConnector_AddRef(*out);
    return S_OK;
}

static HRESULT WINAPI topology_GetSubunitCount(IDeviceTopology *iface, UINT *count)
{
    TRACE("(%p)->(%p)\n", iface, count);
    if (!count) return E_POINTER;
    *count = 0;
    return S_OK;
}

static HRESULT WINAPI topology_GetSubunit(IDeviceTopology *iface, UINT index, ISubUnit **out)
{
    TRACE("(%p)->(%u, %p)\n", iface, index, out);
    if (!out) return E_POINTER;
    *out = NULL;
    return E_INVALIDARG;
}

/* The connector is no IPart here: there are no parts to find by id. */
static HRESULT WINAPI topology_GetPartById(IDeviceTopology *iface, UINT id, IPart **out)
{
    TRACE("(%p)->(%#x, %p)\n", iface, id, out);
    if (!out) return E_POINTER;
    *out = NULL;
    return E_INVALIDARG;
}

static HRESULT WINAPI topology_GetDeviceId(IDeviceTopology *iface, WCHAR **id)
{
    struct topology *topology = impl_from_IDeviceTopology(iface);

    TRACE("(%p)->(%p)\n", topology, id);
    return IMMDevice_GetId(&topology->device->IMMDevice_iface, id);
}

static HRESULT WINAPI topology_GetSignalPath(IDeviceTopology *iface, IPart *from, IPart *to, BOOL reject_mixed,
                                             IPartsList **parts)
{
    TRACE("(%p)->(%p, %p, %d, %p)\n", iface, from, to, reject_mixed, parts);
    if (!from || !to || !parts) return E_POINTER;
    *parts = NULL;
    return E_NOTFOUND;
}

static const IDeviceTopologyVtbl topology_vtbl =
{
    topology_QueryInterface,
    topology_AddRef,
    topology_Release,
    topology_GetConnectorCount,
    topology_GetConnector,
    topology_GetSubunitCount,
    topology_GetSubunit,
    topology_GetPartById,
    topology_GetDeviceId,
    topology_GetSignalPath,
};

static HRESULT WINAPI connector_QueryInterface(IConnector *iface, REFIID riid, void **out)
{
    TRACE("(%p)->(%s, %p)\n", iface, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IConnector))
    {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = iface;
    IConnector_AddRef(iface);
    return S_OK;
}

static ULONG WINAPI connector_AddRef(IConnector *iface)
{
    return topology_AddRef(&impl_from_IConnector(iface)->IDeviceTopology_iface);
}

static ULONG WINAPI connector_Release(IConnector *iface)
{
    return topology_Release(&impl_from_IConnector(iface)->IDeviceTopology_iface);
}

static HRESULT WINAPI connector_GetType(IConnector *iface, ConnectorType *type)
{
    TRACE("(%p)->(%p)\n", iface, type);
    if (!type) return E_POINTER;
    *type = Software_IO;
    return S_OK;
}

/* Sound flows into a render endpoint's connector and out of a capture endpoint's. */
static HRESULT WINAPI connector_GetDataFlow(IConnector *iface, DataFlow *flow)
{
    struct topology *topology = impl_from_IConnector(iface);

    TRACE("(%p)->(%p)\n", topology, flow);
    if (!flow) return E_POINTER;
    *flow = topology->device->flow == eRender ? In : Out;
    return S_OK;
}

/* Only the system connects topologies; no other connector is one of ours. */
static HRESULT WINAPI connector_ConnectTo(IConnector *iface, IConnector *other)
{
    TRACE("(%p)->(%p)\n", iface, other);
    if (!other) return E_POINTER;
    return E_NOINTERFACE;
}

static HRESULT WINAPI connector_Disconnect(IConnector *iface)
{
    TRACE("(%p)\n", iface);
    return HRESULT_FROM_WIN32(ERROR_NOT_CONNECTED);
}

static HRESULT WINAPI connector_IsConnected(IConnector *iface, BOOL *connected)
{
    TRACE("(%p)->(%p)\n", iface, connected);
    if (!connected) return E_POINTER;
    *connected = FALSE;
    return S_OK;
}

static HRESULT WINAPI connector_GetConnectedTo(IConnector *iface, IConnector **other)
{
    TRACE("(%p)->(%p)\n", iface, other);
    if (!other) return E_POINTER;
    *other = NULL;
    return E_NOTFOUND;
}

static HRESULT WINAPI connector_GetConnectorIdConnectedTo(IConnector *iface, WCHAR **id)
{
    TRACE("(%p)->(%p)\n", iface, id);
    if (!id) return E_POINTER;
    *id = NULL;
    return E_NOTFOUND;
}

static HRESULT WINAPI connector_GetDeviceIdConnectedTo(IConnector *iface, WCHAR **id)
{
    TRACE("(%p)->(%p)\n", iface, id);
    if (!id) return E_POINTER;
    *id = NULL;
    return E_NOTFOUND;
}

static const IConnectorVtbl connector_vtbl =
{
    connector_QueryInterface,
    connector_AddRef,
    connector_Release,
    connector_GetType,
    connector_GetDataFlow,
    connector_ConnectTo,
    connector_Disconnect,
    connector_IsConnected,
    connector_GetConnectedTo,
    connector_GetConnectorIdConnectedTo,
    connector_GetDeviceIdConnectedTo,
};

HRESULT topology_create(struct mmdevice *device, IDeviceTopology **out)
{
    struct topology *topology;

    if (!(topology = malloc(sizeof(*topology)))) return E_OUTOFMEMORY;
    topology->IDeviceTopology_iface.lpVtbl = &topology_vtbl;
    topology->IConnector_iface.lpVtbl = &connector_vtbl;
    topology->ref = 1;
    topology->device = device;
    *out = &topology->IDeviceTopology_iface;
    return S_OK;
}
