import { randomInt } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { partners, partnerStatusHistory } from '../../../db/schema/partners.js';
import { users } from '../../../db/schema/users.js';
import type { Executor } from '../../../db/client.js';
import { AppError, notFound, PG_UNIQUE_VIOLATION, pgErrorCode } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { assertWithinDepthLimit } from '../hierarchy/depth-limit.js';
import { depthOf, insertIntoTree, lockHierarchyForInsert } from '../hierarchy/tree.js';
import { partnerSubject, type Caller } from './access.js';
import { announceApplication } from './announce.js';
import { PARTNER_ERASABLE_FIELDS, redact } from './pii.js';
import type { ApplyInput } from './schemas.js';
import { isFinalStatus } from './status-machine.js';
import { getPartner, type PartnerView } from './view.js';

// No 0/O or 1/I/L: codes are read aloud and typed from print.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;

export function generateReferralCode(): string {
  return Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
}

function constraintOf(error: unknown): string | undefined {
  for (let current = error as { constraint?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.constraint === 'string') return current.constraint;
    current = current.cause as typeof current;
  }
  return undefined;
}

const duplicateEmail = (email: string) => new AppError('CONFLICT', `A partner with email ${email} already exists`, { field: 'email' });

/**
 * Who manages the new partner: nobody yet when the caller may file any application (an admin; a manager is assigned
 * later), the caller when they may only file applications for partners they manage (a partner manager).
 */
async function managerForNewPartner(tx: Executor, caller: Caller, parentId: string | null): Promise<string | null> {
  const facts = { id: '', status: 'applied', programId: null, parentId };
  if (caller.ability.can('create', partnerSubject({ ...facts, managerId: null }) as never)) return null;
  if (!caller.ability.can('create', partnerSubject({ ...facts, managerId: caller.actor.userId }) as never)) {
    throw new AppError('FORBIDDEN', `Forbidden: your roles (${caller.actor.roles.join(', ')}) may not create partners`);
  }
  const isUserId = z.uuid().safeParse(caller.actor.userId).success;
  const [manager] = isUserId
    ? await tx.select({ id: users.id }).from(users).where(and(eq(users.id, caller.actor.userId), eq(users.active, true)))
    : [];
  if (!manager) {
    throw new AppError(
      'PRECONDITION_FAILED',
      `Cannot create the partner: you (${caller.actor.userId}) are not an active staff user, so you cannot become its manager`,
    );
  }
  return manager.id;
}

/**
 * The partner whose referral code the applicant gave, who becomes the parent. The new partner joins the recruiter's
 * chain, so the recruiter's program sets the depth limit (`rules.maxHierarchyDepth`, checked by the hierarchy's own
 * rule; without a program, the configuration default) and a recruiter already at the limit cannot recruit: CONFLICT.
 * The shared hierarchy lock and the row lock keep the recruiter's depth, program and status as checked until commit.
 */
async function recruiterId(tx: Executor, referralCode: string | undefined): Promise<string | null> {
  if (referralCode === undefined) return null;
  const code = referralCode.toUpperCase();
  await lockHierarchyForInsert(tx);
  const [parent] = await tx
    .select({ id: partners.id, status: partners.status, programId: partners.programId })
    .from(partners)
    .where(eq(partners.referralCode, code))
    .for('share');
  if (!parent) throw notFound('Referral code', code);
  if (isFinalStatus(parent.status)) {
    throw new AppError('CONFLICT', `Partner ${parent.id} (referral code ${code}) is ${parent.status}; it cannot recruit partners`, {
      field: 'referralCode',
      current: parent.status,
    });
  }
  await assertWithinDepthLimit(tx, {
    programId: parent.programId,
    resultingDepth: (await depthOf(tx, parent.id)) + 1,
    placement: `Partner ${parent.id} (referral code ${code}) cannot recruit: the new partner would be`,
    details: { field: 'referralCode', parentId: parent.id },
  });
  return parent.id;
}

/** Inserts the partner with a fresh referral code, drawing again in the rare case the code is taken. */
async function insertPartner(tx: Executor, values: Omit<typeof partners.$inferInsert, 'referralCode'>): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await tx.transaction(async (savepoint) => {
        const [row] = await savepoint
          .insert(partners)
          .values({ ...values, referralCode: generateReferralCode() })
          .returning({ id: partners.id });
        return row!.id;
      });
    } catch (error) {
      if (pgErrorCode(error) !== PG_UNIQUE_VIOLATION) throw error;
      if (constraintOf(error) === 'partners_email_key') throw duplicateEmail(values.email);
      if (attempt >= 5) throw error;
    }
  }
}

/** partners.apply: a new application (status applied), placed in the referral tree under its recruiter. */
export async function applyForPartnership(db: Executor, caller: Caller, input: ApplyInput): Promise<PartnerView> {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: partners.id })
      .from(partners)
      .where(sql`lower(${partners.email}) = lower(${input.email})`);
    if (existing) throw duplicateEmail(input.email);
    const parentId = await recruiterId(tx, input.referralCode);
    const managerId = await managerForNewPartner(tx, caller, parentId);
    const { referralCode: _recruiterCode, ...profile } = input;
    const id = await insertPartner(tx, { ...profile, status: 'applied', parentId, managerId });
    await insertIntoTree(tx, id, parentId);
    const [history] = await tx
      .insert(partnerStatusHistory)
      .values({ partnerId: id, fromStatus: null, toStatus: 'applied', actorId: caller.actor.userId })
      .returning({ id: partnerStatusHistory.id, at: partnerStatusHistory.at });
    const created = await getPartner(tx, caller, id);
    const { piiVisible: _visible, updatedAt: _updatedAt, ...facts } = created;
    await recordActivity(tx, caller.actor, {
      action: 'partner.apply',
      entityType: 'partner',
      entityId: id,
      after: redact({ ...facts, name: input.name, email: input.email, phone: input.phone }, PARTNER_ERASABLE_FIELDS),
    });
    await announceApplication(tx, id, history!.id, history!.at);
    return created;
  });
}
