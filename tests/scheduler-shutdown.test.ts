import { describe, expect, it } from 'vitest';
import { createScheduler } from '../jobs/scheduler.js';
import { createTestDatabase } from './helpers/db.js';
import { waitFor } from './helpers/poll.js';

const database = await createTestDatabase();
const silent = { info() {}, error() {} };

describe('scheduler shutdown', () => {
  it('releases the jobs it had locked but not started, so another instance can run them at once', async () => {
    const scheduler = createScheduler({ pool: database.pool, db: database.db, jobs: [], processEvery: '0.1 seconds', log: silent });
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    scheduler.agenda.define(
      'blocking-test-job',
      async () => {
        started++;
        await running;
      },
      { concurrency: 1 },
    );
    await scheduler.start();
    await scheduler.agenda.now('blocking-test-job');
    await scheduler.agenda.now('blocking-test-job');
    // The first runs; the second is locked by this instance and waits behind the concurrency limit.
    await waitFor(async () => {
      const { rows } = await database.pool.query(`select count(*)::int as n from agenda_jobs where name = 'blocking-test-job' and locked_at is not null`);
      return started === 1 && rows[0].n === 2;
    });
    const stopping = scheduler.stop();
    release();
    await stopping;
    expect(started).toBe(1);
    const { rows } = await database.pool.query(
      `select count(*)::int as locked from agenda_jobs where name = 'blocking-test-job' and locked_at is not null`,
    );
    expect(rows[0].locked).toBe(0);
  });
});
