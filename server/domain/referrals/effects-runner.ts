import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../../db/client.js';
import { applyQueuedEffects } from './effects.js';

export interface EffectsTiming {
  /** A run starts once no call has woken the runner for this long… */
  quietMs: number;
  /** …or this long after the first call it has not applied yet, whichever comes first. */
  maxWaitMs: number;
}

/** Calls of a burst share a run and leave the machine to ingestion; under steady load effects lag by 5 s at most. */
export const DEFAULT_EFFECTS_TIMING: EffectsTiming = { quietMs: 200, maxWaitMs: 5000 };

interface Runner {
  timer: NodeJS.Timeout | null;
  /** When the first call not applied yet woke the runner. */
  firstWokenAt: number;
  running: Promise<void> | null;
  /** Set when a call queued effects during a run: another run follows, as this one's last read may predate it. */
  again: boolean;
}

const runners = new WeakMap<Database, Runner>();

/**
 * Applies the effects queue in the background after ingesting calls committed, one run at a time per database
 * handle, each over every call queued since the last, as a few set-based statements. A failed run is logged and left
 * to the `referral-effects` job, which applies whatever is still queued every minute (also after a restart, or what
 * another instance queued).
 */
export function wakeEffectsRunner(db: Database, log: FastifyBaseLogger, timing = DEFAULT_EFFECTS_TIMING): void {
  let runner = runners.get(db);
  if (!runner) runners.set(db, (runner = { timer: null, firstWokenAt: 0, running: null, again: false }));
  if (runner.running) {
    runner.again = true;
    return;
  }
  const now = Date.now();
  if (runner.timer) clearTimeout(runner.timer);
  else runner.firstWokenAt = now;
  const delay = Math.max(0, Math.min(timing.quietMs, runner.firstWokenAt + timing.maxWaitMs - now));
  const current = runner;
  runner.timer = setTimeout(() => run(db, current, log, timing), delay);
}

function run(db: Database, runner: Runner, log: FastifyBaseLogger, timing: EffectsTiming): void {
  runner.timer = null;
  runner.again = false;
  runner.running = applyQueuedEffects(db)
    .then(
      () => {},
      (error: unknown) => {
        log.error({ err: error }, 'applying queued referral effects failed; the referral-effects job tries again');
        runner.again = false;
      },
    )
    .finally(() => {
      runner.running = null;
      if (runner.again) wakeEffectsRunner(db, log, timing);
    });
}

/** Before `db`'s pool closes: applies at once what a waiting runner would have, and waits for a run under way. */
export async function settleEffectsRunner(db: Database, log: FastifyBaseLogger): Promise<void> {
  const runner = runners.get(db);
  while (runner && (runner.timer || runner.running)) {
    if (runner.timer) {
      clearTimeout(runner.timer);
      run(db, runner, log, { quietMs: 0, maxWaitMs: 0 });
    }
    await runner.running;
  }
}
