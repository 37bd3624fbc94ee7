import { and, eq, ne, sql } from 'drizzle-orm';
import { partners } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import { AppError } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import type { Caller } from './access.js';
import { auditedChange, PARTNER_ERASABLE_FIELDS } from './pii.js';
import type { UpdatePartnerInput } from './schemas.js';
import { getPartner, loadPartnerFor, type PartnerView } from './view.js';

const editableColumns = {
  name: partners.name,
  email: partners.email,
  phone: partners.phone,
  company: partners.company,
  website: partners.website,
  country: partners.country,
  promotionalMethods: partners.promotionalMethods,
};

export function erasedConflict(partnerId: string, erasedAt: Date): AppError {
  return new AppError('CONFLICT', `Partner ${partnerId} was erased on ${erasedAt.toISOString()}; its personal data cannot be re-entered`, {
    erasedAt: erasedAt.toISOString(),
  });
}

/** partners.update: profile and contact fields; the audit row names changed PII fields without their values. */
export async function updatePartner(db: Executor, caller: Caller, input: UpdatePartnerInput): Promise<PartnerView> {
  const { partnerId, ...changes } = input;
  return db.transaction(async (tx) => {
    const partner = await loadPartnerFor(tx, caller, 'update', partnerId);
    if (partner.erasedAt) throw erasedConflict(partnerId, partner.erasedAt);
    if (changes.email !== undefined) {
      const [taken] = await tx
        .select({ id: partners.id })
        .from(partners)
        .where(and(sql`lower(${partners.email}) = lower(${changes.email})`, ne(partners.id, partnerId)));
      if (taken) throw new AppError('CONFLICT', `A partner with email ${changes.email} already exists`, { field: 'email' });
    }
    const [before] = await tx.select(editableColumns).from(partners).where(eq(partners.id, partnerId));
    const change = auditedChange(before!, changes, PARTNER_ERASABLE_FIELDS);
    if (Object.keys(change.after).length > 0) {
      await tx.update(partners).set({ ...changes, updatedAt: sql`now()` }).where(eq(partners.id, partnerId));
      await recordActivity(tx, caller.actor, { action: 'partner.update', entityType: 'partner', entityId: partnerId, ...change });
    }
    return getPartner(tx, caller, partnerId);
  });
}
