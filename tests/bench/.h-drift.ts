import { connectDatabase } from '../../db/client.js';
import { rollupDrift } from '../../server/domain/analytics/drift.js';
const c = connectDatabase(process.argv[2]!);
const t = Date.now();
const d = await rollupDrift(c.db);
console.log(d.length, d.slice(0, 3), Date.now() - t, 'ms');
await c.close();
