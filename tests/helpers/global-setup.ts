import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connectDatabase } from '../../db/client.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded.js';
import { runMigrations } from '../../db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Once per run: a PostgreSQL (DATABASE_URL, or an embedded one when it is not set) and a template database with
 * every migration applied. Each test file then clones the template (see `db.ts`).
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedDatabase | undefined;
  let embeddedDir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    embeddedDir = await mkdtemp(join(tmpdir(), 'affiliate-ops-test-'));
    embedded = await startEmbeddedPostgres({ dataDir: join(embeddedDir, 'pg') });
    adminUrl = embedded.url;
  }
  const templateDatabase = `ao_template_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${templateDatabase}"`);
  const template = connectDatabase(withDatabase(adminUrl, templateDatabase), { max: 1 });
  await runMigrations(template.db);
  await template.close();
  await admin.end();

  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);

  return async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`drop database if exists "${templateDatabase}" with (force)`);
    await cleanup.end();
    await embedded?.stop();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  };
}

export { withDatabase };
