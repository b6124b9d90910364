// Run by ../fault.test.ts: the faults that must end the whole job with a clear error.
//   throw          rank 1 throws while rank 0 waits in an all-reduce
//   world-size     init({ expectedWorldSize: 3 }) under mpirun -n 2
//   model          rank 1 builds a different model before broadcastParameters
//   kill           rank 1 is killed (SIGKILL) while rank 0 waits in an all-reduce
//   early-exit     rank 1 ends normally one all-reduce early (timeout 2 s)
import '@mge/kernels-cpu';
import { tensor } from '@mge/core';
import * as M from '@mge/module';
import { broadcastParameters, functional as D, getRank, init } from '../../src/index.js';

const kind = process.argv[2];
if (kind === 'world-size') init({ expectedWorldSize: 3 });
init();
const rank = getRank();
if (kind === 'throw') {
  D.allReduceSum(tensor([1, 2, 3]));
  if (rank === 1) throw new Error('rank 1 failed on purpose');
  D.allReduceSum(tensor([1, 2, 3])); // rank 0 waits here for a partner that is gone
  console.log('rank 0 was not stopped');
} else if (kind === 'early-exit') {
  init({ timeout: 2 });
  D.allReduceSum(tensor([1, 2, 3]));
  if (rank === 0) D.allReduceSum(tensor([1, 2, 3])); // rank 1 has left: nobody will join
  console.log(`rank ${rank} done`);
} else if (kind === 'kill') {
  D.allReduceSum(tensor([1, 2, 3]));
  if (rank === 1) process.kill(process.pid, 'SIGKILL');
  D.allReduceSum(tensor([1, 2, 3]));
  console.log('rank 0 was not stopped');
} else if (kind === 'model') {
  broadcastParameters(rank === 1 ? new M.Linear(4, 3) : new M.Linear(4, 2));
  console.log('the mismatch was not noticed');
}
