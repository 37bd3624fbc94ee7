import { connectDatabase } from '../../db/client.js';
import { runRetention } from '../../server/domain/retention/run.js';
import { runComplianceChecks } from '../../server/domain/compliance-jobs/run.js';
const c = connectDatabase('postgresql://postgres@127.0.0.1:5432/ao_jobs_dev');
for (const now of ['2025-06-01T00:00:00Z', '2025-06-01T01:00:00Z', '2025-08-15T00:00:00Z']) {
  let t = performance.now();
  console.log('retention', now, await runRetention(c.db, new Date(now)), (performance.now() - t).toFixed(0), 'ms');
  t = performance.now();
  console.log('compliance', await runComplianceChecks(c.db, new Date(now)), (performance.now() - t).toFixed(0), 'ms');
}
await c.close();
