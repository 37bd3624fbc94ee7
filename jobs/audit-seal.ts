import { sealActivity } from '../server/domain/audit/chain.js';
import type { JobDefinition } from './types.js';

/** Links new audit rows into the hash chain shortly after they are written. */
export function auditSealJob(every: string): JobDefinition {
  return {
    name: 'audit-seal',
    every,
    async run({ db }) {
      let sealed = 0;
      for (let batch = await sealActivity(db); batch > 0; batch = await sealActivity(db)) sealed += batch;
      return { sealed };
    },
  };
}
