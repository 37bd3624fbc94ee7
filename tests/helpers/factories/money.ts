import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { apiKeys } from '../../../db/schema/api-keys.js';
import { commissions } from '../../../db/schema/commissions.js';
import { accounts, partnerAccounts, partnerPayoutDetails, partners, type PartnerStatus } from '../../../db/schema/partners.js';
import { programs, programVersions } from '../../../db/schema/programs.js';
import type { Actor } from '../../../server/context.js';
import { generateApiKeySecret } from '../../../server/domain/api-keys/authenticate.js';
import { insertIntoTree } from '../../../server/domain/hierarchy/tree.js';
import { programConfiguration, type ProgramConfigurationInput } from '../../../server/domain/programs/configuration.js';
import { applyQueuedEffects } from '../../../server/domain/referrals/effects.js';
import { ingestReferrals } from '../../../server/domain/referrals/ingest.js';
import { ingestInput } from '../../../server/domain/referrals/schemas.js';
import { createTestDatabase } from '../db.js';

/** Programs, partners, accounts and API keys for the money tests, inserted directly; each call makes unique rows. */

const unique = () => randomUUID().replaceAll('-', '').slice(0, 12);

/** Long before any test event, so version 1 is in force for all of them. */
export const EPOCH = new Date('2020-01-01T00:00:00Z');

export const at = (iso: string) => new Date(iso);

/** One tier, 10% for the seller, 5% / 3% / 1% for three upline levels; no fraud rule fires on ordinary traffic. */
export function threeLevelConfiguration(overrides: { rules?: ProgramConfigurationInput['rules'] } = {}): ProgramConfigurationInput {
  return {
    commissionTiers: [
      {
        name: 'standard',
        rateType: 'percentage',
        value: 1_000,
        overrides: [
          { level: 1, rateType: 'percentage', value: 500 },
          { level: 2, rateType: 'percentage', value: 300 },
          { level: 3, rateType: 'percentage', value: 100 },
        ],
      },
    ],
    rules: { holdDays: 30, cookieWindowDays: 30, maxHierarchyDepth: 3, ...overrides.rules },
  };
}

export async function createProgram(
  db: Database,
  options: { configuration?: ProgramConfigurationInput; currency?: string; effectiveFrom?: Date } = {},
): Promise<string> {
  const [program] = await db
    .insert(programs)
    .values({ name: `Money program ${unique()}`, currency: options.currency ?? 'USD' })
    .returning({ id: programs.id });
  await addProgramVersion(db, program!.id, 1, options.configuration ?? threeLevelConfiguration(), options.effectiveFrom ?? EPOCH);
  return program!.id;
}

export async function addProgramVersion(
  db: Database,
  programId: string,
  version: number,
  configuration: ProgramConfigurationInput,
  effectiveFrom: Date,
): Promise<void> {
  await db.insert(programVersions).values({
    programId,
    version,
    configuration: programConfiguration.parse(configuration),
    reason: `test version ${version}`,
    createdBy: 'test',
    effectiveFrom,
  });
  await db.update(programs).set({ currentVersion: version }).where(sql`${programs.id} = ${programId} and ${programs.currentVersion} < ${version}`);
}

export interface PartnerOptions {
  programId: string | null;
  parentId?: string | null;
  status?: PartnerStatus;
  tier?: string | null;
  email?: string;
  payoutFingerprint?: string;
}

export interface TestPartner {
  id: string;
  referralCode: string;
  email: string;
}

export async function createPartner(db: Database, options: PartnerOptions): Promise<TestPartner> {
  const code = unique();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(partners)
      .values({
        referralCode: `ref-${code}`,
        name: `Partner ${code}`,
        email: options.email ?? `partner-${code}@partner-${code}.example`,
        country: 'US',
        status: options.status ?? 'active',
        programId: options.programId,
        tier: options.tier ?? null,
        parentId: options.parentId ?? null,
      })
      .returning({ id: partners.id, referralCode: partners.referralCode, email: partners.email });
    await insertIntoTree(tx, row!.id, options.parentId ?? null);
    if (options.payoutFingerprint) {
      await tx.insert(partnerPayoutDetails).values({
        partnerId: row!.id,
        method: 'paypal',
        details: { email: `payout-${code}@example.com` },
        taxForm: 'w9',
        taxCountry: 'US',
        fingerprint: options.payoutFingerprint,
      });
    }
    return row!;
  });
}

/** A chain of partners, each the parent of the next: [top, …, seller]. */
export async function createChain(db: Database, programId: string, length: number): Promise<TestPartner[]> {
  const chain: TestPartner[] = [];
  for (let index = 0; index < length; index++) {
    chain.push(await createPartner(db, { programId, parentId: chain.at(-1)?.id ?? null }));
  }
  return chain;
}

export async function setPartnerStatus(db: Executor, partnerId: string, status: PartnerStatus): Promise<void> {
  await db.update(partners).set({ status }).where(sql`${partners.id} = ${partnerId}`);
}

export async function createAccount(
  db: Database,
  options: { emailDomain?: string; link?: { partnerId: string; role: 'referrer' | 'owner' } } = {},
): Promise<string> {
  const [account] = await db
    .insert(accounts)
    .values({ name: `Account ${unique()}`, emailDomain: options.emailDomain ?? null })
    .returning({ id: accounts.id });
  if (options.link) {
    await db.insert(partnerAccounts).values({ ...options.link, accountId: account!.id, linkedBy: 'test' });
  }
  return account!.id;
}

export async function createIngestKey(db: Database): Promise<{ id: string; secret: string }> {
  const { secret, prefix, keyHash } = generateApiKeySecret();
  const [row] = await db
    .insert(apiKeys)
    .values({ name: `key ${unique()}`, prefix, keyHash, scopes: ['ingest'], createdBy: 'test' })
    .returning({ id: apiKeys.id });
  return { id: row!.id, secret };
}

/**
 * Ingests through the domain function, with the input schema applied as the procedure would, then applies the
 * effects the call queued, as the server's background run does right after it: `effects` counts what they wrote.
 */
export function ingester(db: Database, apiKeyId: string) {
  const actor: Actor = { userId: `api-key:${apiKeyId}`, roles: [], requestId: null };
  return async (events: unknown[]) => {
    const result = await ingestReferrals(db, { actor, apiKeyId }, ingestInput.parse({ events }));
    return { ...result, effects: await applyQueuedEffects(db) };
  };
}

/**
 * The setup every money test file shares: its own database with an ingest API key, and `ingest` through that key.
 * Call at the top level of a test file.
 */
export async function createMoneyTestDatabase() {
  const database = await createTestDatabase();
  const key = await createIngestKey(database.db);
  return { database, db: database.db, key, ingest: ingester(database.db, key.id) };
}

export const uniqueId = (prefix: string) => `${prefix}-${unique()}`;

/** A USD sale referred by `partner`, as ingestion receives it. */
export const saleEvent = (partner: TestPartner, amount: number, occurredAt: string, externalId = uniqueId('sale')) => ({
  externalId,
  kind: 'sale',
  referralCode: partner.referralCode,
  amount,
  currency: 'USD',
  occurredAt,
});

/** A USD refund of `amount` of the sale `saleId`, as ingestion receives it. */
export const refundEvent = (saleId: string, amount: number, occurredAt: string) => ({
  externalId: uniqueId('refund'),
  kind: 'refund',
  refundOf: saleId,
  amount,
  currency: 'USD',
  occurredAt,
});

export type LedgerRow = {
  partnerId: string;
  kind: string;
  status: string;
  level: number | null;
  amount: number;
  reason: string | null;
};

/** A partner's (or several partners') ledger entries in id order, in the shape tests compare. */
export async function ledgerOf(db: Executor, partnerIds: string[]): Promise<LedgerRow[]> {
  return db
    .select({
      partnerId: commissions.partnerId,
      kind: commissions.kind,
      status: commissions.status,
      level: commissions.level,
      amount: commissions.amount,
      reason: commissions.reason,
    })
    .from(commissions)
    .where(sql`${commissions.partnerId} = any(${sql.param(partnerIds)}::uuid[])`)
    .orderBy(commissions.id);
}
