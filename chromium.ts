/**
 * How tests and benches start Debian's chromium (apt-get install -y chromium), headless, with WebGPU
 * on its SwiftShader adapter: `--enable-unsafe-webgpu` is the one flag that matters (CPU adapters are
 * blocklisted otherwise); --no-sandbox because CI runs as root. Pass to `playwright({ launchOptions })`
 * or `chromium.launch({ ...chromiumLaunchOptions, headless: true })`.
 */
export const chromiumLaunchOptions = {
  executablePath: process.env.MGE_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};
