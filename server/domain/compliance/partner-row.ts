import { eq } from 'drizzle-orm';
import { partners } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import { notFound } from '../../errors.js';
import { partnerAbilityColumns } from '../partners/access.js';

/**
 * The partner's authorization facts (and whether it was erased), locked for the rest of the transaction: `share`
 * keeps its status from changing while a document, acceptance or hold is recorded for it. NOT_FOUND when missing.
 */
export async function lockPartnerFacts(tx: Executor, partnerId: string, mode: 'share' | 'update' = 'share') {
  const [row] = await tx
    .select({ ...partnerAbilityColumns, erasedAt: partners.erasedAt })
    .from(partners)
    .where(eq(partners.id, partnerId))
    .for(mode);
  if (!row) throw notFound('Partner', partnerId);
  return row;
}
