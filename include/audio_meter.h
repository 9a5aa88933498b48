/* IAudioMeterInformation, which Wine 8.0's endpointvolume.h names but does not declare (nor its
 * uuid library define). One file of a program defines the IID: the one that includes <initguid.h>
 * before this header. */
#ifndef MMDEVAPI_AUDIO_METER_H
#define MMDEVAPI_AUDIO_METER_H

#include <endpointvolume.h>

DEFINE_GUID(IID_IAudioMeterInformation, 0xc02216f6, 0x8c67, 0x4b5b, 0x9d, 0x00, 0xd0, 0x08, 0xe7, 0x3e, 0x00, 0x64);

#ifndef __IAudioMeterInformation_INTERFACE_DEFINED__
#define __IAudioMeterInformation_INTERFACE_DEFINED__

typedef struct IAudioMeterInformationVtbl
{
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IAudioMeterInformation *This, REFIID riid, void **out);
    ULONG (STDMETHODCALLTYPE *AddRef)(IAudioMeterInformation *This);
    ULONG (STDMETHODCALLTYPE *Release)(IAudioMeterInformation *This);
    HRESULT (STDMETHODCALLTYPE *GetPeakValue)(IAudioMeterInformation *This, float *peak);
    HRESULT (STDMETHODCALLTYPE *GetMeteringChannelCount)(IAudioMeterInformation *This, UINT *count);
    HRESULT (STDMETHODCALLTYPE *GetChannelsPeakValues)(IAudioMeterInformation *This, UINT32 count, float *peaks);
    HRESULT (STDMETHODCALLTYPE *QueryHardwareSupport)(IAudioMeterInformation *This, DWORD *mask);
} IAudioMeterInformationVtbl;

interface IAudioMeterInformation
{
    CONST_VTBL IAudioMeterInformationVtbl *lpVtbl;
};

#ifdef COBJMACROS
#define IAudioMeterInformation_QueryInterface(This, riid, out) (This)->lpVtbl->QueryInterface(This, riid, out)
#define IAudioMeterInformation_AddRef(This) (This)->lpVtbl->AddRef(This)
#define IAudioMeterInformation_Release(This) (This)->lpVtbl->Release(This)
#define IAudioMeterInformation_GetPeakValue(This, peak) (This)->lpVtbl->GetPeakValue(This, peak)
#define IAudioMeterInformation_GetMeteringChannelCount(This, count) (This)->lpVtbl->GetMeteringChannelCount(This, count)
#define IAudioMeterInformation_GetChannelsPeakValues(This, count, peaks) \
    (This)->lpVtbl->GetChannelsPeakValues(This, count, peaks)
#define IAudioMeterInformation_QueryHardwareSupport(This, mask) (This)->lpVtbl->QueryHardwareSupport(This, mask)
#endif

#endif
#endif
