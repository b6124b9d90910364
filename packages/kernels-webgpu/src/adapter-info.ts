/** Facts about an adapter that decide whether the registry may pick it by default. */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallback: boolean;
}

export function adapterFacts(adapter: GPUAdapter): AdapterFacts {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallback: info.isFallbackAdapter === true || legacy === true,
  };
}

/**
 * CPU rasterisers exposed as GPUs (SwiftShader in Chromium, Mesa's llvmpipe/lavapipe
 * under Dawn) are slower than the native cpu backend, so they are never the default.
 */
export function isSoftwareAdapter(f: AdapterFacts): boolean {
  if (f.isFallback) return true;
  if (f.architecture.toLowerCase() === 'swiftshader') return true;
  const text = `${f.architecture} ${f.device} ${f.description}`.toLowerCase();
  if (/swiftshader|llvmpipe|lavapipe|softpipe/.test(text)) return true;
  return f.vendor.toLowerCase() === 'mesa' && /software|llvm/.test(text);
}

/** One line for `mge devices`. SwiftShader reports an empty description, so fall back to the other fields. */
export function describeAdapter(f: AdapterFacts): string {
  const base = f.description || [f.vendor, f.architecture, f.device].filter(Boolean).join(' ') || 'unknown adapter';
  return isSoftwareAdapter(f) ? `${base} (software adapter)` : base;
}
