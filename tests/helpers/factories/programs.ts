import { createHash, randomUUID } from 'node:crypto';
import { partners, type PartnerStatus } from '../../../db/schema/partners.js';
import type { DocumentKind } from '../../../db/schema/compliance.js';
import type { Role } from '../../../db/schema/users.js';
import type { Database } from '../../../db/client.js';
import { defineAbilityFor } from '../../../server/auth/abilities.js';
import type { Actor } from '../../../server/context.js';
import { publishAgreement as publish } from '../../../server/domain/agreements/agreements.js';
import { submitDocument } from '../../../server/domain/compliance/documents.js';
import { programConfiguration, type ProgramConfigurationInput } from '../../../server/domain/programs/configuration.js';
import { createProgram as create } from '../../../server/domain/programs/programs.js';

/**
 * Programs, agreements, documents and plain partner rows for tests, each unique. Programs, agreements and documents
 * go through the domain functions (so they have versions and audit rows); partners are inserted directly.
 */

const unique = () => randomUUID().replaceAll('-', '').slice(0, 12);

export const factoryActor: Actor = { userId: 'test-factory', roles: ['affiliate_admin'], requestId: null };

export function callerFor(roles: Role[], userId: string = randomUUID()) {
  return { actor: { userId, roles, requestId: null } satisfies Actor, ability: defineAbilityFor({ userId, roles }) };
}

/** A valid configuration with two tiers, an upline override and thresholds between them. */
export function sampleConfiguration(overrides: Partial<ProgramConfigurationInput> = {}): ProgramConfigurationInput {
  return {
    commissionTiers: [
      { name: 'silver', rateType: 'percentage', value: 1_000, overrides: [{ level: 1, rateType: 'percentage', value: 200 }] },
      { name: 'gold', rateType: 'percentage', value: 1_500, recurringMonths: 12 },
    ],
    performanceThresholds: [
      { tier: 'silver', metric: 'conversions', periodDays: 30, promoteAt: 20 },
      { tier: 'gold', metric: 'conversions', periodDays: 30, demoteAt: 10 },
    ],
    rules: { holdDays: 30, maxHierarchyDepth: 2, requiredDocuments: ['w9'] },
    ...overrides,
  };
}

/** A program (version 1 = `configuration`, by default `sampleConfiguration()`), created through the domain. */
export async function createProgram(
  db: Database,
  configuration: ProgramConfigurationInput = sampleConfiguration(),
  options: { name?: string; currency?: string } = {},
) {
  return create(db, factoryActor, {
    name: options.name ?? `Program ${unique()}`,
    currency: options.currency ?? 'USD',
    configuration: programConfiguration.parse(configuration),
    reason: 'test program',
  });
}

export async function publishAgreement(db: Database, options: { requiresReacceptance?: boolean; title?: string } = {}) {
  return publish(db, factoryActor, {
    title: options.title ?? `Partner terms ${unique()}`,
    body: `The terms, revision ${unique()}.`,
    requiresReacceptance: options.requiresReacceptance ?? true,
  });
}

export interface PartnerRowOptions {
  status?: PartnerStatus;
  managerId?: string | null;
  programId?: string | null;
  erased?: boolean;
}

export async function insertPartnerRow(db: Database, options: PartnerRowOptions = {}): Promise<string> {
  const code = unique();
  const [row] = await db
    .insert(partners)
    .values({
      referralCode: `ref-${code}`,
      name: `Partner ${code}`,
      email: `partner-${code}@example.com`,
      country: 'US',
      status: options.status ?? 'active',
      managerId: options.managerId ?? null,
      programId: options.programId ?? null,
      erasedAt: options.erased ? new Date() : null,
    })
    .returning({ id: partners.id });
  return row!.id;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function submitTestDocument(
  db: Database,
  partnerId: string,
  options: { kind?: DocumentKind; expiresOn?: string; issuedOn?: string } = {},
) {
  return submitDocument(db, callerFor(['affiliate_admin'], factoryActor.userId), {
    partnerId,
    kind: options.kind ?? 'w9',
    reference: `s3://documents/${unique()}.pdf`,
    checksum: sha256(unique()),
    issuedOn: options.issuedOn,
    expiresOn: options.expiresOn,
  });
}
