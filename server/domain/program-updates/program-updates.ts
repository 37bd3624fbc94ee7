import { and, asc, eq, gt, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Executor } from '../../../db/client.js';
import { programUpdateRecipients, programUpdates } from '../../../db/schema/notifications.js';
import { partners } from '../../../db/schema/partners.js';
import { programs } from '../../../db/schema/programs.js';
import type { AppAbility } from '../../auth/abilities.js';
import type { Actor } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { enqueueNotifications } from '../notifications/enqueue.js';
import { authorizePartner, partnerAbilityColumns, readableSql, type Caller } from '../partners/access.js';
import { checkCursor, toPage } from '../shared/pagination.js';
import type { AcknowledgeUpdateInput, PublishUpdateInput, UpdateStatusInput } from './schemas.js';

const updateColumns = {
  id: programUpdates.id,
  programId: programUpdates.programId,
  title: programUpdates.title,
  body: programUpdates.body,
  requiresAcknowledgment: programUpdates.requiresAcknowledgment,
  publishedBy: programUpdates.publishedBy,
  publishedAt: programUpdates.publishedAt,
};

/**
 * Publishes an update to a program's active partners: the recipients are fixed now (they are who must
 * acknowledge) and each is notified. An update that requires acknowledgment reaches partners who opted out of
 * program updates too: it changes what they agreed to.
 */
export async function publishProgramUpdate(db: Database, actor: Actor, input: PublishUpdateInput) {
  return db.transaction(async (tx) => {
    const [program] = await tx
      .select({ id: programs.id, name: programs.name, status: programs.status })
      .from(programs)
      .where(eq(programs.id, input.programId))
      .for('share');
    if (!program) throw notFound('Program', input.programId);
    if (program.status !== 'active') {
      throw new AppError('PRECONDITION_FAILED', `Program ${program.id} is ${program.status}; updates go to active programs only`, {
        programId: program.id,
        status: program.status,
      });
    }
    const [update] = await tx
      .insert(programUpdates)
      .values({ ...input, publishedBy: actor.userId })
      .returning(updateColumns);
    if (!update) throw new Error('insert returned no row');
    const recipients = await tx.execute(sql`
      insert into program_update_recipients (update_id, partner_id)
      select ${update.id}::uuid, p.id from partners p
      where p.program_id = ${program.id}::uuid and p.status = 'active' and p.erased_at is null`);
    const notified = await enqueueNotifications(tx, {
      kind: 'program_update',
      audience: sql`select partner_id as id from program_update_recipients where update_id = ${update.id}::uuid`,
      dedupeKey: `program-update:${update.id}`,
      alwaysSend: input.requiresAcknowledgment,
      variables: {
        updateId: update.id,
        programName: program.name,
        title: update.title,
        body: update.body,
        requiresAcknowledgment: update.requiresAcknowledgment,
      },
    });
    const counts = { recipients: recipients.rowCount ?? 0, notifications: notified.enqueued };
    await recordActivity(tx, actor, {
      action: 'program_update.publish',
      entityType: 'program_update',
      entityId: update.id,
      after: { programId: program.id, title: update.title, requiresAcknowledgment: update.requiresAcknowledgment, ...counts },
    });
    return { ...update, ...counts };
  });
}

/** Records that a partner acknowledged an update; acknowledging again changes nothing and returns the first time. */
export async function acknowledgeProgramUpdate(db: Database, caller: Caller, input: AcknowledgeUpdateInput) {
  return db.transaction(async (tx) => {
    const [partner] = await tx.select(partnerAbilityColumns).from(partners).where(eq(partners.id, input.partnerId));
    if (!partner) throw notFound('Partner', input.partnerId);
    authorizePartner(caller, 'update', partner);
    const [recipient] = await tx
      .select({ acknowledgedAt: programUpdateRecipients.acknowledgedAt })
      .from(programUpdateRecipients)
      .where(and(eq(programUpdateRecipients.updateId, input.updateId), eq(programUpdateRecipients.partnerId, partner.id)))
      .for('update');
    if (!recipient) {
      const [update] = await tx.select({ id: programUpdates.id }).from(programUpdates).where(eq(programUpdates.id, input.updateId));
      if (!update) throw notFound('Program update', input.updateId);
      throw new AppError('PRECONDITION_FAILED', `Partner ${partner.id} was not a recipient of program update ${input.updateId}`, input);
    }
    if (recipient.acknowledgedAt) return { ...input, acknowledgedAt: recipient.acknowledgedAt, alreadyAcknowledged: true };
    const [acknowledged] = await tx
      .update(programUpdateRecipients)
      .set({ acknowledgedAt: sql`now()`, acknowledgedBy: caller.actor.userId })
      .where(and(eq(programUpdateRecipients.updateId, input.updateId), eq(programUpdateRecipients.partnerId, partner.id)))
      .returning({ acknowledgedAt: programUpdateRecipients.acknowledgedAt });
    await recordActivity(tx, caller.actor, {
      action: 'program_update.acknowledge',
      entityType: 'program_update',
      entityId: input.updateId,
      after: { partnerId: partner.id, acknowledgedAt: acknowledged!.acknowledgedAt!.toISOString() },
    });
    return { ...input, acknowledgedAt: acknowledged!.acknowledgedAt!, alreadyAcknowledged: false };
  });
}

/** The update, how many of its recipients (that the caller may read) have acknowledged, and who, by partner id. */
export async function programUpdateStatus(db: Executor, ability: AppAbility, input: UpdateStatusInput) {
  const [update] = await db.select(updateColumns).from(programUpdates).where(eq(programUpdates.id, input.updateId));
  if (!update) throw notFound('Program update', input.updateId);
  const visible = and(eq(programUpdateRecipients.updateId, update.id), readableSql(ability));
  const [counts] = await db
    .select({
      recipients: sql<number>`count(*)::int`,
      acknowledged: sql<number>`count(${programUpdateRecipients.acknowledgedAt})::int`,
    })
    .from(programUpdateRecipients)
    .innerJoin(partners, eq(partners.id, programUpdateRecipients.partnerId))
    .where(visible);
  const cursor = input.cursor ? checkCursor(input.cursor, (c) => (z.uuid().safeParse(c).success ? c : undefined)) : undefined;
  const filters: (SQL | undefined)[] = [
    visible,
    input.acknowledged === undefined
      ? undefined
      : input.acknowledged
        ? isNotNull(programUpdateRecipients.acknowledgedAt)
        : isNull(programUpdateRecipients.acknowledgedAt),
    cursor ? gt(programUpdateRecipients.partnerId, cursor) : undefined,
  ];
  const rows = await db
    .select({
      partnerId: programUpdateRecipients.partnerId,
      referralCode: partners.referralCode,
      partnerStatus: partners.status,
      acknowledgedAt: programUpdateRecipients.acknowledgedAt,
    })
    .from(programUpdateRecipients)
    .innerJoin(partners, eq(partners.id, programUpdateRecipients.partnerId))
    .where(and(...filters))
    .orderBy(asc(programUpdateRecipients.partnerId))
    .limit(input.limit + 1);
  const recipients = counts?.recipients ?? 0;
  const acknowledged = counts?.acknowledged ?? 0;
  return {
    update,
    counts: { recipients, acknowledged, pending: recipients - acknowledged },
    partners: toPage(rows, input.limit, (row) => row.partnerId),
  };
}
