import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { NotificationKind } from '../../../db/schema/notifications.js';
import { enqueueNotifications } from '../notifications/enqueue.js';
import type { NotificationVariables } from '../notifications/kinds.js';

/** A group at least this large is rendered once and written with the audience form. */
const SHARED_GROUP = 10;

export interface PartnerNotice<K extends NotificationKind> {
  partnerId: string;
  dedupeKey: string;
  variables: NotificationVariables<K>;
}

/**
 * `enqueueNotifications` for a job's many recipients. Partners who share the dedupe key and the variables (everyone
 * moved from silver to gold in one run) get one rendering, written for all of them in one statement; the rest go in
 * one statement rendered per partner. At most one statement per ten recipients, usually a handful.
 */
export async function notifyPartners<K extends NotificationKind>(tx: Executor, kind: K, notices: PartnerNotice<K>[]): Promise<number> {
  const groups = new Map<string, PartnerNotice<K>[]>();
  for (const notice of notices) {
    const key = `${notice.dedupeKey}\u0000${JSON.stringify(notice.variables)}`;
    const group = groups.get(key);
    if (group) group.push(notice);
    else groups.set(key, [notice]);
  }
  let enqueued = 0;
  const singles: PartnerNotice<K>[] = [];
  for (const group of groups.values()) {
    if (group.length < SHARED_GROUP) {
      singles.push(...group);
      continue;
    }
    const { dedupeKey, variables } = group[0]!;
    const audience = sql`select unnest(${sql.param(group.map((notice) => notice.partnerId))}::uuid[]) as id`;
    enqueued += (await enqueueNotifications(tx, { kind, audience, dedupeKey, variables })).enqueued;
  }
  enqueued += (await enqueueNotifications(tx, { kind, recipients: singles })).enqueued;
  return enqueued;
}
