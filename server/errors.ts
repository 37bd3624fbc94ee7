/**
 * The domain's errors. Domain code throws these and knows nothing of tRPC; `server/trpc.ts` maps each code to a
 * tRPC code in one place.
 */
export type AppErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'TOO_MANY_REQUESTS';

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (entity: string, id: string | number) =>
  new AppError('NOT_FOUND', `${entity} ${id} does not exist`, { entity, id });

export const forbidden = (message = 'You are not allowed to do this') => new AppError('FORBIDDEN', message);

export const illegalTransition = (entity: string, current: string, requested: string) =>
  new AppError('CONFLICT', `${entity} is ${current}; it cannot become ${requested}`, { current, requested });

/** PostgreSQL error codes we turn into caller errors instead of 500s. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
/**
 * Data exceptions that only a caller's value can cause once it passed validation: a NUL character or a bad Unicode
 * escape in text, a number or date outside PostgreSQL's range, text that does not fit.
 */
export const PG_INPUT_DATA_EXCEPTIONS: ReadonlySet<string> = new Set([
  '22001', '22003', '22007', '22008', '22021', '22P02', '22P05',
]);

export function pgErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  // drizzle wraps driver errors; walk the cause chain to find PostgreSQL's SQLSTATE.
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
