import { createHash } from 'node:crypto';
import { desc, lt, sql } from 'drizzle-orm';
import { agreementVersions } from '../../../db/schema/agreements.js';
import type { Database, Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { AppError } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { positiveIntCursor } from '../shared/keyset.js';
import { toPage } from '../shared/pagination.js';
import type { ListAgreementVersionsInput, PublishAgreementInput } from './schemas.js';

export const agreementColumns = {
  id: agreementVersions.id,
  version: agreementVersions.version,
  title: agreementVersions.title,
  body: agreementVersions.body,
  contentHash: agreementVersions.contentHash,
  requiresReacceptance: agreementVersions.requiresReacceptance,
  publishedBy: agreementVersions.publishedBy,
  publishedAt: agreementVersions.publishedAt,
};

function contentHash(title: string, body: string): string {
  return createHash('sha256').update(JSON.stringify([title, body])).digest('hex');
}

/**
 * Publishes the next version of the terms. Publishes run one at a time (a table lock that neither readers nor
 * acceptances wait for), so concurrent publishes get consecutive numbers. The same title and body as the current
 * version is refused (CONFLICT).
 */
export async function publishAgreement(db: Database, actor: Actor, input: PublishAgreementInput) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`lock table ${agreementVersions} in share row exclusive mode`);
    const [latest] = await tx
      .select({ version: agreementVersions.version, contentHash: agreementVersions.contentHash })
      .from(agreementVersions)
      .orderBy(desc(agreementVersions.version))
      .limit(1);
    const hash = contentHash(input.title, input.body);
    if (latest?.contentHash === hash) {
      throw new AppError('CONFLICT', `The title and body are identical to the current version ${latest.version}`, {
        current: latest.version,
      });
    }
    const [published] = await tx
      .insert(agreementVersions)
      .values({ ...input, version: (latest?.version ?? 0) + 1, contentHash: hash, publishedBy: actor.userId })
      .returning(agreementColumns);
    if (!published) throw new Error('insert returned no agreement version');
    const { body: _body, ...summary } = published;
    await recordActivity(tx, actor, { action: 'agreement.publish', entityType: 'agreement_version', entityId: published.id, after: summary });
    return published;
  });
}

/** The highest version, or null before any was published. */
export async function currentAgreement(db: Executor) {
  const [row] = await db.select(agreementColumns).from(agreementVersions).orderBy(desc(agreementVersions.version)).limit(1);
  return row ?? null;
}

/** Newest first; the cursor is the last version number. */
export async function listAgreementVersions(db: Executor, input: ListAgreementVersionsInput) {
  const rows = await db
    .select(agreementColumns)
    .from(agreementVersions)
    .where(input.cursor ? lt(agreementVersions.version, positiveIntCursor(input.cursor)) : undefined)
    .orderBy(desc(agreementVersions.version))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => String(row.version));
}
