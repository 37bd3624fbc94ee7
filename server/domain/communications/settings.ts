import type { TicketPriority } from '../../../db/schema/tickets.js';
import { allowPrivateWebhookTargets, loadConfig, type Config } from '../../config.js';

/**
 * The few configuration values communications need deep inside domain functions that every area calls
 * (`enqueueNotifications` builds links on the public base URL). They are process-wide, like the pg type parsers:
 * `startService` sets them once from the parsed configuration; until then the configuration defaults apply.
 */
export interface CommunicationSettings {
  publicBaseUrl: string;
  ticketDueHours: Record<TicketPriority, number>;
  allowPrivateWebhookTargets: boolean;
}

export function settingsFromConfig(config: Config): CommunicationSettings {
  return {
    publicBaseUrl: config.PUBLIC_BASE_URL,
    ticketDueHours: config.TICKET_DUE_HOURS,
    allowPrivateWebhookTargets: allowPrivateWebhookTargets(config),
  };
}

let current: CommunicationSettings = settingsFromConfig(loadConfig({}));

export function configureCommunications(settings: CommunicationSettings): void {
  current = settings;
}

export function communicationSettings(): CommunicationSettings {
  return current;
}
