import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from '../../db/client.js';
import { signToken } from '../../server/auth/tokens.js';
import { generateApiKeySecret } from '../../server/domain/api-keys/authenticate.js';
import { insertIntoTree } from '../../server/domain/hierarchy/tree.js';
import { programConfiguration } from '../../server/domain/programs/configuration.js';
import { startBenchServer } from './lib/bench-server.js';
import { median } from './lib/load.js';
import { createScratchDatabase, type ScratchDatabase } from './lib/scratch-database.js';
import superjson from 'superjson';
import { pathToFileURL } from 'node:url';

/**
 * `referrals.ingest` over HTTP (API key, batches of 1,000, sent one after the other as one service would) against
 * PostgreSQL COPY of the same stored rows into the same table of a second scratch database seeded identically.
 * Ingestion does more than COPY: attribution per event and the audit row in the call; then, in the background, the
 * effects it queued: commissions for every sale (four levels), the fraud rules, the analytics rollups. Ratio = ingest
 * events/s ÷ COPY events/s; the note adds the rate until the effects were all applied.
 *
 * A running service is warm: five batches of a year earlier go first, untimed, and COPY stores their rows untimed
 * too, so both tables hold the same rows when the timed part starts. Then rounds alternate, as the HTTP benchmarks
 * do, so that a slow moment of a shared machine does not fall on one side only: a round sends its batches, waits
 * until their effects are applied, then COPY stores the round's rows; the ratio compares the medians. Request
 * bodies are built before the clock starts, as COPY's payload is. Where PostgreSQL runs on this machine, the note
 * adds CPU time (the server process and the database backends), which other load on a shared machine disturbs less
 * than elapsed time.
 */

const EVENTS = 20_000;
const ROUNDS = 3;
const EVENT_SPACING_MS = 30_000;
const WARMUP_EVENTS = 5_000;
const BATCH = 1_000;
const GOAL = 0.5;
const PARTNERS = 200;
const VISITORS = 3_000;
const START = Date.parse('2025-01-01T00:00:00Z');
const WARMUP_START = Date.parse('2024-01-01T00:00:00Z');

const id = (kind: string, n: number) => `00000000-0000-4000-8000-${kind}${String(n).padStart(12 - kind.length, '0')}`;

/** The same program, partners (chains of four) and API key, with the same ids, in either database. */
export async function seed(db: Database, keyHash: string, prefix: string): Promise<void> {
  const configuration = programConfiguration.parse({
    commissionTiers: [
      {
        name: 'standard',
        rateType: 'percentage',
        value: 1_000,
        overrides: [1, 2, 3].map((level) => ({ level, rateType: 'percentage', value: 400 - level * 100 })),
      },
    ],
    // Ordinary traffic at bench volume, not fraud: limits the synthetic load stays under.
    rules: { maxHierarchyDepth: 3, fraud: { maxLeadsPerIpPerDay: 100_000, maxClicksPerMinute: 100_000, minSecondsClickToConversion: 0 } },
  });
  await db.execute(sql`insert into programs (id, name, currency) values (${id('a', 1)}, 'Bench program', 'USD')`);
  await db.execute(sql`
    insert into program_versions (program_id, version, configuration, reason, created_by, effective_from)
    values (${id('a', 1)}, 1, ${JSON.stringify(configuration)}::jsonb, 'bench', 'bench', '2020-01-01T00:00:00Z')`);
  await db.transaction(async (tx) => {
    for (let n = 0; n < PARTNERS; n++) {
      const parent = n % 4 === 0 ? null : id('b', n - 1);
      await tx.execute(sql`
        insert into partners (id, referral_code, name, email, country, status, program_id, tier, parent_id)
        values (${id('b', n)}, ${`BENCH-${n}`}, ${`Bench partner ${n}`}, ${`bench-${n}@example.com`}, 'US', 'active',
          ${id('a', 1)}, 'standard', ${parent})`);
      await insertIntoTree(tx, id('b', n), parent);
    }
  });
  await db.execute(sql`
    insert into api_keys (id, name, prefix, key_hash, scopes, created_by)
    values (${id('c', 1)}, 'bench', ${prefix}, ${keyHash}, array['ingest'], 'bench')`);
}

/** Clicks, leads and sales in time order: blocks of ten events of one visitor, six clicks, three leads, a sale. */
export function events(count = EVENTS, prefix = 'bench', start = START) {
  return Array.from({ length: count }, (_, n) => {
    const visitor = Math.floor(n / 10) % VISITORS;
    const slot = n % 10;
    const kind = slot < 6 ? 'click' : slot < 9 ? 'lead' : 'sale';
    return {
      externalId: `${prefix}-${n}`,
      kind,
      ...(kind === 'click' ? { referralCode: `BENCH-${visitor % PARTNERS}` } : {}),
      ...(kind === 'sale' ? { amount: 1_000 + (n % 9_000), currency: 'USD' } : {}),
      visitorId: `visitor-${visitor}`,
      ip: `10.0.${visitor % 250}.${visitor % 200}`,
      userAgent: 'Mozilla/5.0 (bench)',
      occurredAt: new Date(start + n * EVENT_SPACING_MS).toISOString(),
    };
  });
}

/**
 * One keep-alive connection to `referrals.ingest`, through node:http: the client a service would use, and as lean as
 * autocannon is for the other HTTP benchmarks. fetch spent 3–5 ms of this process's CPU per call (1.6–3 ms here), time
 * that sits between two calls and would be charged to ingestion.
 */
function ingestClient(url: string, secret: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`${url}/trpc/referrals.ingest`);
  const post = (body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const headers = { 'content-type': 'application/json', 'content-length': body.length, 'x-api-key': secret };
      const request = http.request(target, { method: 'POST', agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          if (response.statusCode === 200) resolve();
          else reject(new Error(`referrals.ingest answered ${response.statusCode}: ${Buffer.concat(chunks).toString()}`));
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  return {
    /** Sends the batches one after the other; returns the elapsed milliseconds and when the last answer came. */
    async ingest(all: ReturnType<typeof events>): Promise<{ ms: number; endedAt: number }> {
      const bodies: Buffer[] = [];
      for (let offset = 0; offset < all.length; offset += BATCH) {
        bodies.push(Buffer.from(JSON.stringify(superjson.serialize({ events: all.slice(offset, offset + BATCH) }))));
      }
      const started = performance.now();
      for (const body of bodies) await post(body);
      const endedAt = performance.now();
      return { ms: endedAt - started, endedAt };
    },
    close: () => agent.destroy(),
  };
}

/** Waits until the server's background run has applied every queued effect; returns when it saw the queue empty. */
async function effectsApplied(database: ScratchDatabase): Promise<number> {
  for (;;) {
    const queued = await database.pool.query<{ queued: boolean }>('select exists (select 1 from referral_effects_queue) as queued');
    if (!queued.rows[0]!.queued) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * CPU milliseconds the database's backends have used so far, read from /proc; null where PostgreSQL runs elsewhere.
 */
async function backendCpuMs(database: ScratchDatabase): Promise<number | null> {
  const backends = await database.pool.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
  let total = 0;
  for (const { pid } of backends.rows) {
    try {
      // utime and stime, in clock ticks (100 per second on Linux), are fields 14 and 15 of /proc/<pid>/stat.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return null;
    }
  }
  return total;
}

const COPIED = [
  'external_id', 'kind', 'partner_ref', 'declared_partner_id', 'account_id', 'amount', 'currency', 'occurred_at', 'ip',
  'user_agent', 'visitor_key', 'click_external_id', 'partner_id', 'program_id', 'program_version', 'attribution_status',
  'attribution_method', 'attribution_reason', 'api_key_id',
];

/** COPY … FROM STDIN with pg alone: a Query that answers the server's CopyInResponse with the whole payload. */
class CopyIn extends pg.Query {
  constructor(
    text: string,
    private readonly payload: Buffer,
    callback: (error: Error | undefined) => void,
  ) {
    super(text, undefined, callback);
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }) {
    connection.sendCopyFromChunk(this.payload);
    connection.endCopyFrom();
  }
}

/** COPY of the source's rows with `id` in (after, upTo] into the target; returns the elapsed milliseconds. */
export async function copyRows(source: ScratchDatabase, target: ScratchDatabase, after: number, upTo: number): Promise<number> {
  const rows = await source.pool.query({
    text: `select ${COPIED.map((column) => `${column}::text`).join(', ')} from referral_events where id > $1 and id <= $2 order by id`,
    values: [after, upTo],
    rowMode: 'array',
  });
  const field = (value: string | null) => (value === null ? '\\N' : value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!));
  const payload = Buffer.from(rows.rows.map((row: (string | null)[]) => row.map(field).join('\t')).join('\n') + '\n');
  const client = await target.pool.connect();
  try {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      void client.query(
        new CopyIn(`copy referral_events (${COPIED.join(', ')}) from stdin`, payload, (error) => (error ? reject(error) : resolve())),
      );
    });
    return performance.now() - started;
  } finally {
    client.release();
  }
}

async function lastEventId(database: ScratchDatabase, which: SQL): Promise<number> {
  const result = await database.db.execute<{ id: number }>(sql`select coalesce(max(id), 0)::bigint as id from referral_events where ${which}`);
  return result.rows[0]!.id;
}

interface Round {
  ingestMs: number;
  /** From the first call until the background run had applied every effect the calls queued. */
  throughEffectsMs: number;
  copyMs: number;
  cpu: { server: number; database: number | null; copy: number | null };
}

export async function run(): Promise<{ scenario: string; ratio: number; goal: number; note?: string; sideA?: string; sideB?: string }[]> {
  const ingestDb = await createScratchDatabase();
  const copyDb = await createScratchDatabase();
  try {
    const key = generateApiKeySecret();
    await seed(ingestDb.db, key.keyHash, key.prefix);
    await seed(copyDb.db, key.keyHash, key.prefix);
    const jwtSecret = randomBytes(32).toString('hex');
    const server = await startBenchServer(
      { DATABASE_URL: ingestDb.url, AUTH_JWT_SECRET: jwtSecret, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000000', SCHEDULER_ENABLED: 'false' },
      { procedure: 'users.list', input: { limit: 1 }, token: await signToken({ secret: jwtSecret, sub: 'bench', roles: ['affiliate_admin'] }) },
    );
    const serverCpuMs = async () => ((await (await fetch(`${server.url}/bench/cpu`)).json()) as { micros: number }).micros / 1000;
    const client = ingestClient(server.url, key.secret);
    const rounds: Round[] = [];
    try {
      await client.ingest(events(WARMUP_EVENTS, 'warmup', WARMUP_START));
      await effectsApplied(ingestDb);
      await copyRows(ingestDb, copyDb, 0, await lastEventId(ingestDb, sql`true`));
      for (let round = 0; round < ROUNDS; round++) {
        const storedBefore = await lastEventId(ingestDb, sql`true`);
        const [server0, database0] = [await serverCpuMs(), await backendCpuMs(ingestDb)];
        const calls = await client.ingest(events(EVENTS, `bench${round}`, START + round * EVENTS * EVENT_SPACING_MS));
        const [server1, database1] = [await serverCpuMs(), await backendCpuMs(ingestDb)];
        const throughEffectsMs = calls.ms + ((await effectsApplied(ingestDb)) - calls.endedAt);
        const copyCpu0 = await backendCpuMs(copyDb);
        const copyMs = await copyRows(ingestDb, copyDb, storedBefore, await lastEventId(ingestDb, sql`true`));
        const copyCpu1 = await backendCpuMs(copyDb);
        rounds.push({
          ingestMs: calls.ms,
          throughEffectsMs,
          copyMs,
          cpu: {
            server: server1 - server0,
            database: database0 === null || database1 === null ? null : database1 - database0,
            copy: copyCpu0 === null || copyCpu1 === null ? null : copyCpu1 - copyCpu0,
          },
        });
      }
    } finally {
      client.close();
      await server.stop();
    }
    const warmedUpTo = await lastEventId(ingestDb, sql`external_id like 'warmup-%'`);
    const [stored, entries] = await Promise.all([
      ingestDb.db.execute<{ n: number }>(sql`select count(*)::int as n from referral_events where id > ${warmedUpTo}`),
      ingestDb.db.execute<{ n: number }>(sql`select count(*)::int as n from commissions where event_id > ${warmedUpTo}`),
    ]);
    const ingestMs = median(rounds.map((round) => round.ingestMs));
    const copyMs = median(rounds.map((round) => round.copyMs));
    const throughEffectsMs = median(rounds.map((round) => round.throughEffectsMs));
    const rate = (ms: number) => `${Math.round((EVENTS / ms) * 1000).toLocaleString('en-US')} events/s`;
    const batches = EVENTS / BATCH;
    const perBatch = (pick: (cpu: Round['cpu']) => number | null) => {
      const values = rounds.map((round) => pick(round.cpu));
      return values.some((value) => value === null) ? null : median(values as number[]) / batches;
    };
    const [serverCpu, databaseCpu, copyCpu] = [perBatch((cpu) => cpu.server), perBatch((cpu) => cpu.database), perBatch((cpu) => cpu.copy)];
    const cpu =
      databaseCpu === null || copyCpu === null
        ? `server CPU ${serverCpu!.toFixed(1)} ms per batch`
        : `by CPU time ${(copyCpu / (serverCpu! + databaseCpu)).toFixed(2)}× (per batch of ${BATCH}: server ${serverCpu!.toFixed(1)} ms + ` +
          `PostgreSQL ${databaseCpu.toFixed(0)} ms, against COPY's ${copyCpu.toFixed(0)} ms)`;
    const ratios = rounds.map((round) => (round.copyMs / round.ingestMs).toFixed(2)).join(', ');
    return [
      {
        scenario: `referrals.ingest over HTTP, ${EVENTS.toLocaleString('en-US')} events in batches of ${BATCH} vs COPY of the same rows`,
        ratio: copyMs / ingestMs,
        goal: GOAL,
        sideA: rate(ingestMs),
        sideB: rate(copyMs),
        note:
          `medians of ${ROUNDS} alternating rounds (ratios ${ratios}); ${cpu}. The calls also attributed every event and audited each ` +
          `batch. Their effects (${entries.rows[0]!.n.toLocaleString('en-US')} ledger entries for ${((ROUNDS * EVENTS) / 10).toLocaleString('en-US')} ` +
          `sales over 4 levels, the fraud rules, the analytics rollups, webhooks) were applied in the background, all of them ` +
          `${Math.round(throughEffectsMs - ingestMs)} ms after a round's last call: through them ${rate(throughEffectsMs)}, ` +
          `${(copyMs / throughEffectsMs).toFixed(2)}× COPY; ${stored.rows[0]!.n.toLocaleString('en-US')} events stored`,
      },
    ];
  } finally {
    await Promise.all([ingestDb.drop(), copyDb.drop()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const result of await run()) {
    console.log(`${result.scenario}: ${result.ratio.toFixed(2)}× (goal ${result.goal}) — ${result.sideA} vs ${result.sideB}; ${result.note}`);
  }
}
