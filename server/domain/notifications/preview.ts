import type { z } from 'zod';
import { communicationSettings } from '../communications/settings.js';
import { notificationKinds } from './kinds.js';
import { parseTemplateVariables, type previewNotificationInput } from './schemas.js';
import { notificationTemplates } from './templates.js';

/** Renders a kind with the given variables, or its sample data, exactly as a recipient would receive it. */
export function previewNotification(input: z.infer<typeof previewNotificationInput>) {
  const definition = notificationKinds[input.kind];
  const variables = input.variables ? parseTemplateVariables(input.kind, input.variables, 'variables') : definition.sample;
  return {
    kind: input.kind,
    essential: definition.essential,
    audience: definition.audience,
    channels: [...definition.channels],
    ...notificationTemplates.render(input.kind, variables, { baseUrl: communicationSettings().publicBaseUrl }),
  };
}
