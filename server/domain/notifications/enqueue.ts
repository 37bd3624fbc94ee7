import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { NotificationChannel, NotificationKind } from '../../../db/schema/notifications.js';
import { communicationSettings } from '../communications/settings.js';
import { notificationKinds, type NotificationVariables } from './kinds.js';
import { notificationTemplates, type RenderedNotification } from './templates.js';

interface EnqueueOptions<K extends NotificationKind> {
  kind: K;
  /** Defaults to the kind's channels (email and dashboard for partners, email for staff). */
  channels?: readonly NotificationChannel[];
  /** Send even to partners who opted out of this kind, for a notice that is legally required this time. */
  alwaysSend?: boolean;
}

/** One recipient with its own variables; `dedupeKey` names the occasion (e.g. the status-history row id). */
export type NotificationRecipient<K extends NotificationKind> = ({ partnerId: string } | { userId: string }) & {
  variables: NotificationVariables<K>;
  dedupeKey: string;
};

export type EnqueueNotificationsInput<K extends NotificationKind> = EnqueueOptions<K> &
  (
    | { recipients: readonly NotificationRecipient<K>[] }
    | {
        /** A subquery returning one column `id` of partner ids; everyone in it gets the same rendered message. */
        audience: SQL;
        variables: NotificationVariables<K>;
        dedupeKey: string;
      }
  );

export interface EnqueueResult {
  /** Recipients considered (for staff: those that exist as users). */
  recipients: number;
  /** Rows written: one per recipient and channel, minus opt-outs and rows that already existed (same dedupe key). */
  enqueued: number;
}

interface RenderedRow extends RenderedNotification {
  partnerId: string | null;
  userId: string | null;
  dedupeKey: string;
}

/**
 * Writes notifications to the outbox (email) and inbox (dashboard) in the caller's transaction: rendered now,
 * delivered by the notification-delivery job after the transaction commits. Set-based: one INSERT … SELECT for the
 * whole call; a row whose dedupe key exists is skipped (ON CONFLICT DO NOTHING), so retrying a mutation or a job
 * never notifies twice. Partners' opt-outs are respected unless the kind is essential.
 *
 * @example
 * await enqueueNotifications(tx, {
 *   kind: 'partner_suspended',
 *   recipients: [{ partnerId, dedupeKey: `status-history:${historyId}`, variables: { reasonCode: 'compliance', note } }],
 * });
 * await enqueueNotifications(tx, {
 *   kind: 'custom_message',
 *   audience: sql`select id from partners where program_id = ${programId}`,
 *   dedupeKey: `campaign:${campaignId}`,
 *   variables: { subject, message },
 * });
 */
export async function enqueueNotifications<K extends NotificationKind>(
  tx: Executor,
  input: EnqueueNotificationsInput<K>,
): Promise<EnqueueResult> {
  const definition = notificationKinds[input.kind];
  const channels = [...new Set(input.channels ?? definition.channels)];
  const refused = channels.filter((channel) => !definition.channels.includes(channel));
  if (refused.length > 0) throw new Error(`notification ${input.kind} cannot be sent by ${refused.join(', ')}`);
  if (channels.length === 0) return { recipients: 0, enqueued: 0 };
  const render = (variables: unknown) =>
    notificationTemplates.render(input.kind, variables, { baseUrl: communicationSettings().publicBaseUrl });
  const statement = {
    kind: input.kind,
    channels,
    sendRegardless: definition.essential || input.alwaysSend === true,
  };

  if ('audience' in input) {
    if (definition.audience !== 'partner') throw new Error(`notification ${input.kind} goes to staff, not to an audience of partners`);
    return insertForAudience(tx, statement, input.audience, input.dedupeKey, render(input.variables));
  }
  if (input.recipients.length === 0) return { recipients: 0, enqueued: 0 };
  const rows: RenderedRow[] = input.recipients.map((recipient) => {
    const partnerId = 'partnerId' in recipient ? recipient.partnerId : null;
    if ((partnerId !== null) !== (definition.audience === 'partner')) {
      throw new Error(`notification ${input.kind} goes to ${definition.audience === 'partner' ? 'partners' : 'staff users'}`);
    }
    return {
      partnerId,
      userId: 'userId' in recipient ? recipient.userId : null,
      dedupeKey: recipient.dedupeKey,
      ...render(recipient.variables),
    };
  });
  return insertForRecipients(tx, statement, rows);
}

interface Statement {
  kind: NotificationKind;
  channels: readonly NotificationChannel[];
  sendRegardless: boolean;
}

/**
 * One statement: the recipients (partner_id or user_id, dedupe_key and the rendered parts), one row per recipient
 * and channel, opt-outs filtered, rows whose dedupe key exists skipped; returns both counts.
 */
async function insert(tx: Executor, statement: Statement, recipients: SQL): Promise<EnqueueResult> {
  const result = await tx.execute<{ recipients: number; enqueued: number }>(sql`
    with recipients as (${recipients}),
    inserted as (
      insert into notifications
        (kind, channel, partner_id, user_id, subject, summary, body_text, body_html, dedupe_key, state, sent_at)
      select ${statement.kind}::text, c.channel, r.partner_id, r.user_id, r.subject, r.summary, r.body_text, r.body_html,
             ${statement.kind}::text || ':' || r.dedupe_key || ':' || coalesce(r.partner_id::text, 'user:' || r.user_id::text) || ':' || c.channel,
             case when c.channel = 'dashboard' then 'sent' else 'pending' end,
             case when c.channel = 'dashboard' then now() end
      from recipients r
      cross join jsonb_array_elements_text(${JSON.stringify(statement.channels)}::jsonb) as c(channel)
      where ${statement.sendRegardless}::boolean or r.partner_id is null or not exists (
        select 1 from notification_preferences np
        where np.partner_id = r.partner_id and np.kind = ${statement.kind}::text and np.channel = c.channel
      )
      on conflict (dedupe_key) do nothing
      returning 1
    )
    select (select count(*) from recipients) as recipients, (select count(*) from inserted) as enqueued`);
  const row = result.rows[0];
  return { recipients: Number(row?.recipients ?? 0), enqueued: Number(row?.enqueued ?? 0) };
}

function insertForAudience(tx: Executor, statement: Statement, audience: SQL, dedupeKey: string, message: RenderedNotification) {
  return insert(
    tx,
    statement,
    sql`
      select distinct a.id as partner_id, null::uuid as user_id, ${dedupeKey}::text as dedupe_key,
             ${message.subject}::text as subject, ${message.summary}::text as summary,
             ${message.bodyText}::text as body_text, ${message.bodyHtml}::text as body_html
      from (${audience}) as a`,
  );
}

function insertForRecipients(tx: Executor, statement: Statement, rows: RenderedRow[]) {
  const payload = JSON.stringify(
    rows.map((row) => ({
      partner_id: row.partnerId,
      user_id: row.userId,
      dedupe_key: row.dedupeKey,
      subject: row.subject,
      summary: row.summary,
      body_text: row.bodyText,
      body_html: row.bodyHtml,
    })),
  );
  // Staff recipients are matched to users by id; an actor id that is no user (e.g. a service token) gets nothing.
  return insert(
    tx,
    statement,
    sql`
      select r.partner_id, u.id as user_id, r.dedupe_key, r.subject, r.summary, r.body_text, r.body_html
      from jsonb_to_recordset(${payload}::jsonb)
        as r(partner_id uuid, user_id text, dedupe_key text, subject text, summary text, body_text text, body_html text)
      left join users u on u.id::text = r.user_id
      where r.partner_id is not null or u.id is not null`,
  );
}
