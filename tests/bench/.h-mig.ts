import { connectDatabase } from '../../db/client.js';
import { runMigrations } from '../../db/migrate.js';
const c = connectDatabase(process.argv[2]!); await runMigrations(c.db); await c.close();
