import { pgErrorCode } from '../../errors.js';

const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `transaction` again when PostgreSQL aborted it as a deadlock victim or a serialization failure: the
 * transaction rolled back whole, so running it again is safe. Gives up after `attempts` tries.
 */
export async function retryOnDeadlock<T>(transaction: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= attempts || !RETRYABLE.has(pgErrorCode(error) ?? '')) throw error;
    }
  }
}
