import { loadConfig, type Config } from '../config.js';
import { AppError } from '../errors.js';
import { startFakeTipalti } from './fake-tipalti.js';
import type { PaymentProcessor } from './processor.js';
import { TipaltiProcessor } from './tipalti.js';
import type { TipaltiSettings } from './tipalti-http.js';

export type { PaymentOrder, PaymentOutcome, PaymentProcessor } from './processor.js';

interface PaymentSettings {
  /** Tipalti as configured, or null: then development and tests use a local fake, production pays nothing. */
  tipalti: TipaltiSettings | null;
  production: boolean;
  payerName: string;
  timeoutMs: number;
}

function settingsFromConfig(config: Config): PaymentSettings {
  const tipalti = config.TIPALTI_BASE_URL
    ? {
        baseUrl: config.TIPALTI_BASE_URL,
        apiKey: config.TIPALTI_API_KEY,
        clientId: config.TIPALTI_CLIENT_ID,
        clientSecret: config.TIPALTI_CLIENT_SECRET,
        tokenUrl: config.TIPALTI_TOKEN_URL,
        payerName: config.TIPALTI_PAYER_NAME,
        timeoutMs: config.TIPALTI_TIMEOUT_MS,
      }
    : null;
  return { tipalti, production: config.NODE_ENV === 'production', payerName: config.TIPALTI_PAYER_NAME, timeoutMs: config.TIPALTI_TIMEOUT_MS };
}

let settings = settingsFromConfig(loadConfig({}));
let processor: Promise<PaymentProcessor> | undefined;

/** `startService` calls this once with the parsed configuration (process-wide, like the communication settings). */
export function configurePayments(config: Config): void {
  settings = settingsFromConfig(config);
  processor = undefined;
}

/**
 * The configured processor. Without TIPALTI_BASE_URL, development and tests get the Tipalti adapter talking to a
 * local fake Tipalti started on first use; production refuses (PRECONDITION_FAILED) rather than pay nowhere.
 */
export function paymentProcessor(): Promise<PaymentProcessor> {
  if (settings.tipalti) {
    processor ??= Promise.resolve(new TipaltiProcessor(settings.tipalti));
    return processor;
  }
  if (settings.production) {
    return Promise.reject(
      new AppError('PRECONDITION_FAILED', 'The payment processor is not configured: set TIPALTI_BASE_URL and its credentials', {
        missing: [{ requirement: 'payment_processor' }],
      }),
    );
  }
  const { payerName, timeoutMs } = settings;
  processor ??= startFakeTipalti({ apiKey: 'development', detached: true }).then(
    (fake) => new TipaltiProcessor({ baseUrl: fake.url, apiKey: 'development', payerName, timeoutMs }),
    (error: unknown) => {
      processor = undefined;
      throw error;
    },
  );
  return processor;
}
