import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { agreementAcceptances, agreementVersions } from '../../../db/schema/agreements.js';
import { complianceDocuments, type DocumentKind, type DocumentStatus } from '../../../db/schema/compliance.js';
import { enrollments, partnerPayoutDetails, partners, type PartnerStatus } from '../../../db/schema/partners.js';
import { programs, programVersions } from '../../../db/schema/programs.js';
import { users, type Role } from '../../../db/schema/users.js';
import type { Database, Executor } from '../../../db/client.js';
import { defineAbilityFor } from '../../../server/auth/abilities.js';
import type { Caller } from '../../../server/domain/partners/access.js';
import { insertIntoTree } from '../../../server/domain/hierarchy/tree.js';
import { payoutFingerprint, type PayoutSetup } from '../../../server/domain/partners/payout.js';
import { programConfiguration } from '../../../server/domain/programs/configuration.js';

/**
 * Partners at any lifecycle status, inserted directly with SQL (no procedures, no audit rows), with the rows the
 * status implies: an accepted agreement from `verified`, an enrollment from `enrolled`, payout details from
 * `setup_complete`, training and approved required documents from `trained`. Other areas' tests may reuse these.
 */

export const uniqueSuffix = () => randomUUID().replaceAll('-', '').slice(0, 12);
const uniqueSha256 = () => createHash('sha256').update(randomUUID()).digest('hex');

export function callerFor(roles: Role[], userId: string = randomUUID()): Caller {
  return { actor: { userId, roles, requestId: null }, ability: defineAbilityFor({ userId, roles }) };
}

export async function createStaffUser(db: Executor, roles: Role[] = ['partner_manager']): Promise<string> {
  const [row] = await db
    .insert(users)
    .values({ email: `staff-${uniqueSuffix()}@example.com`, name: 'Staff Member', roles })
    .returning({ id: users.id });
  return row!.id;
}

export interface TestProgramOptions {
  tiers?: string[];
  requiredDocuments?: DocumentKind[];
  archived?: boolean;
}

export interface TestProgram {
  id: string;
  tiers: string[];
  requiredDocuments: DocumentKind[];
}

export async function createTestProgram(db: Database, options: TestProgramOptions = {}): Promise<TestProgram> {
  const tiers = options.tiers ?? ['silver', 'gold'];
  const requiredDocuments = options.requiredDocuments ?? ['w9'];
  const configuration = programConfiguration.parse({
    commissionTiers: tiers.map((name, index) => ({ name, rateType: 'percentage', value: 1_000 + index * 500 })),
    rules: { requiredDocuments },
  });
  return db.transaction(async (tx) => {
    const [program] = await tx
      .insert(programs)
      .values({
        name: `Program ${uniqueSuffix()}`,
        currency: 'USD',
        status: options.archived ? 'archived' : 'active',
        archivedAt: options.archived ? new Date() : null,
      })
      .returning({ id: programs.id });
    await tx.insert(programVersions).values({
      programId: program!.id,
      version: 1,
      configuration,
      reason: 'test program',
      createdBy: 'test-factory',
      // Slightly in the past, so "the version in force now" finds it whatever the clocks say.
      effectiveFrom: sql`now() - interval '1 minute'`,
    });
    return { id: program!.id, tiers, requiredDocuments };
  });
}

/** Publishes the next agreement version (direct insert; concurrent callers retry on the version number). */
export async function publishAgreementVersion(db: Database, options: { requiresReacceptance?: boolean } = {}) {
  for (;;) {
    const [row] = await db
      .insert(agreementVersions)
      .values({
        version: sql`(select coalesce(max(version), 0) + 1 from agreement_versions)`,
        title: 'Partner terms',
        body: `Terms ${uniqueSuffix()}`,
        contentHash: uniqueSha256(),
        requiresReacceptance: options.requiresReacceptance ?? true,
        publishedBy: 'test-factory',
      })
      .onConflictDoNothing()
      .returning({ id: agreementVersions.id, version: agreementVersions.version });
    if (row) return row;
  }
}

/** The current agreement version, publishing version 1 when none exists yet. */
export async function currentAgreementVersion(db: Database) {
  const [current] = await db
    .select({ id: agreementVersions.id, version: agreementVersions.version })
    .from(agreementVersions)
    .orderBy(sql`${agreementVersions.version} desc`)
    .limit(1);
  return current ?? publishAgreementVersion(db);
}

export async function acceptCurrentAgreement(db: Database, partnerId: string) {
  const current = await currentAgreementVersion(db);
  await db
    .insert(agreementAcceptances)
    .values({
      partnerId,
      agreementVersionId: current.id,
      acceptedAt: new Date(),
      ipAddress: '203.0.113.7',
      userAgent: 'TestBrowser/1.0',
      recordedBy: 'test-factory',
    })
    .onConflictDoNothing();
  return current;
}

export async function insertDocument(
  db: Executor,
  partnerId: string,
  kind: DocumentKind,
  options: { status?: DocumentStatus; expiresOn?: string | null } = {},
) {
  const status = options.status ?? 'approved';
  const [row] = await db
    .insert(complianceDocuments)
    .values({
      partnerId,
      kind,
      reference: `s3://documents/${uniqueSuffix()}.pdf`,
      checksum: uniqueSha256(),
      expiresOn: options.expiresOn === undefined ? null : options.expiresOn,
      status,
      reviewedBy: status === 'pending' ? null : 'test-factory',
      reviewedAt: status === 'pending' ? null : new Date(),
      submittedBy: 'test-factory',
    })
    .returning({ id: complianceDocuments.id });
  return row!.id;
}

export const samplePayout = {
  method: 'bank_transfer',
  details: { accountHolder: 'Test Holder', accountNumber: '000123456789', routingNumber: '021000021' },
  taxForm: 'w9',
  taxId: '12-3456789',
  taxCountry: 'US',
} satisfies PayoutSetup;

export async function insertPayoutDetails(db: Executor, partnerId: string, setup: PayoutSetup = samplePayout) {
  await db.insert(partnerPayoutDetails).values({
    partnerId,
    method: setup.method,
    details: setup.details as Record<string, string>,
    taxForm: setup.taxForm,
    taxId: setup.taxId ?? null,
    taxCountry: setup.taxCountry,
    fingerprint: payoutFingerprint(setup),
  });
}

const ONBOARDING_ORDER: PartnerStatus[] = ['applied', 'verified', 'enrolled', 'setup_complete', 'trained', 'active'];

/** How far through onboarding a partner at `status` got; a suspended partner had been active. */
function reached(status: PartnerStatus, milestone: PartnerStatus): boolean {
  const effective = status === 'suspended' ? 'active' : status;
  const at = ONBOARDING_ORDER.indexOf(effective);
  return at >= 0 && at >= ONBOARDING_ORDER.indexOf(milestone);
}

export interface PartnerSpec {
  status?: PartnerStatus;
  managerId?: string | null;
  parentId?: string | null;
  /** The program for enrolled partners; a fresh one is created when a status needs it and none is given. */
  program?: TestProgram;
  tier?: string | null;
  name?: string;
  email?: string;
  phone?: string | null;
  company?: string | null;
  createdAt?: Date;
  /** Leave out the rows the status implies (to test a missing prerequisite). */
  without?: ('agreement' | 'payout' | 'documents' | 'training')[];
}

export interface TestPartner {
  id: string;
  referralCode: string;
  name: string;
  email: string;
  programId: string | null;
  tier: string | null;
}

export async function createPartner(db: Database, spec: PartnerSpec = {}): Promise<TestPartner> {
  const status = spec.status ?? 'applied';
  const without = new Set(spec.without ?? []);
  const enrolled = reached(status, 'enrolled');
  const program = enrolled ? (spec.program ?? (await createTestProgram(db))) : spec.program;
  const tier = spec.tier !== undefined ? spec.tier : enrolled ? program!.tiers[0]! : null;
  const code = uniqueSuffix().toUpperCase();
  const now = new Date();
  const at = (milestone: PartnerStatus) => (reached(status, milestone) ? now : null);
  const name = spec.name ?? `Partner ${code}`;
  const email = spec.email ?? `partner-${code.toLowerCase()}@example.com`;
  const id = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(partners)
      .values({
        referralCode: code,
        status,
        name,
        email,
        phone: spec.phone === undefined ? '+1 555 0100' : spec.phone,
        company: spec.company === undefined ? `Company ${code}` : spec.company,
        country: 'US',
        promotionalMethods: ['blog'],
        programId: program && (enrolled || spec.program) ? program.id : null,
        tier,
        parentId: spec.parentId ?? null,
        managerId: spec.managerId ?? null,
        verifiedAt: at('verified'),
        enrolledAt: at('enrolled'),
        setupCompletedAt: at('setup_complete'),
        trainingCompletedAt: without.has('training') ? null : at('trained'),
        activatedAt: at('active'),
        ...(spec.createdAt ? { createdAt: spec.createdAt } : {}),
      })
      .returning({ id: partners.id });
    await insertIntoTree(tx, row!.id, spec.parentId ?? null);
    return row!.id;
  });
  if (reached(status, 'verified') && !without.has('agreement')) {
    const agreement = await acceptCurrentAgreement(db, id);
    if (enrolled) {
      await db.insert(enrollments).values({ partnerId: id, programId: program!.id, tier: tier!, agreementVersionId: agreement.id, enrolledBy: 'test-factory' });
    }
  }
  if (reached(status, 'setup_complete') && !without.has('payout')) await insertPayoutDetails(db, id);
  if (reached(status, 'trained') && !without.has('documents')) {
    for (const kind of program!.requiredDocuments) await insertDocument(db, id, kind);
  }
  return { id, referralCode: code, name, email, programId: enrolled ? program!.id : (spec.program?.id ?? null), tier };
}
