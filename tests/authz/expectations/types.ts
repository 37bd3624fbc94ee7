/** Who may reach a procedure: `anonymous` means no token at all; the rest are the four staff roles. */
export type Caller = 'anonymous' | 'affiliate_admin' | 'partner_manager' | 'program_manager' | 'compliance_officer';

export const CALLERS: readonly Caller[] = [
  'anonymous',
  'affiliate_admin',
  'partner_manager',
  'program_manager',
  'compliance_officer',
];

export interface Expectation {
  allowed: Caller[];
}

/** One file per area exports a record of these, keyed by procedure path (`users.create`). */
export type Expectations = Record<string, Expectation>;
