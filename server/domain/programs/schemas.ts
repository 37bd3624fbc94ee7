import { z } from 'zod';
import { PROGRAM_STATUSES } from '../../../db/schema/programs.js';
import { pageInput } from '../shared/pagination.js';
import { programConfiguration } from './configuration.js';

const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export const currencyCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine((code) => ISO_CURRENCIES.has(code), 'must be an ISO 4217 currency code, e.g. EUR');

const programId = z.uuid();
const reason = z.string().trim().min(1).max(500);

export const createProgramInput = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().min(1).max(2000).optional(),
  currency: currencyCode,
  configuration: programConfiguration,
  reason: reason.default('initial configuration'),
});
export type CreateProgramInput = z.infer<typeof createProgramInput>;

export const programRef = z.object({ programId });

export const updateConfigurationInput = z.object({
  programId,
  /** The whole new configuration: read the current one with programs.get, change it, send it back. */
  configuration: programConfiguration,
  reason,
  /** The version the change was made from; when the program has moved on since, the update is refused. */
  baseVersion: z.number().int().min(1).optional(),
});
export type UpdateConfigurationInput = z.infer<typeof updateConfigurationInput>;

export const listProgramsInput = pageInput.extend({ status: z.enum(PROGRAM_STATUSES).optional() });
export type ListProgramsInput = z.infer<typeof listProgramsInput>;

export const listVersionsInput = pageInput.extend({ programId });
export type ListVersionsInput = z.infer<typeof listVersionsInput>;
