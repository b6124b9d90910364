// Loaded with `node --import` before an example: reports, on stderr at exit, the device the
// example's tensors went to. It imports 'megengine' as the example does, so both share one registry.
import { getDefaultDevice } from 'megengine';

process.on('exit', () => process.stderr.write(`\nmge-device=${getDefaultDevice()}\n`));
