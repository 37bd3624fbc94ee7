import { createHash } from 'node:crypto';
import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max);
const digits = (min: number, max: number) =>
  z
    .string()
    .transform((value) => value.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(new RegExp(`^[0-9]{${min},${max}}$`), `must be ${min}–${max} digits`));

const bankTransfer = z.object({
  accountHolder: text(200),
  accountNumber: digits(4, 34),
  routingNumber: digits(6, 12),
  bankName: text(200).optional(),
});
const wire = z.object({
  accountHolder: text(200),
  iban: z
    .string()
    .transform((value) => value.replace(/\s/g, '').toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$/, 'must be an IBAN')),
  bic: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{8}([A-Z0-9]{3})?$/, 'must be an 8 or 11 character BIC'),
});
const paypal = z.object({ email: z.string().trim().toLowerCase().pipe(z.email().max(320)) });
const check = z.object({
  payee: text(200),
  line1: text(200),
  line2: text(200).optional(),
  city: text(100),
  postalCode: text(20),
  country: z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code'),
});

const tax = {
  taxForm: z.enum(['w9', 'w8ben']),
  taxId: z.string().trim().min(1).max(50).optional(),
  taxCountry: z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code'),
};

/** Payout method with the details each method needs, plus the tax form (W-9 for US persons, W-8BEN otherwise). */
export const payoutSetup = z
  .discriminatedUnion('method', [
    z.object({ method: z.literal('bank_transfer'), details: bankTransfer, ...tax }),
    z.object({ method: z.literal('wire'), details: wire, ...tax }),
    z.object({ method: z.literal('paypal'), details: paypal, ...tax }),
    z.object({ method: z.literal('check'), details: check, ...tax }),
  ])
  .refine((setup) => (setup.taxForm === 'w9') === (setup.taxCountry === 'US'), {
    message: 'a W-9 is for US tax residents (taxCountry US), a W-8BEN for everyone else',
    path: ['taxForm'],
  });
export type PayoutSetup = z.infer<typeof payoutSetup>;

const squash = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * A stable hash of where the money goes, independent of formatting: two partners paid into the same account,
 * PayPal address or postal address get the same fingerprint (fraud checks compare them across a downline).
 */
export function payoutFingerprint(setup: PayoutSetup): string {
  const identity = (() => {
    switch (setup.method) {
      case 'bank_transfer':
        return `bank_transfer:${setup.details.routingNumber}:${setup.details.accountNumber}`;
      case 'wire':
        return `wire:${setup.details.iban}`;
      case 'paypal':
        return `paypal:${setup.details.email}`;
      case 'check': {
        const { line1, city, postalCode, country } = setup.details;
        return `check:${[line1, city, postalCode, country].map(squash).join('|')}`;
      }
    }
  })();
  return createHash('sha256').update(identity).digest('hex');
}
