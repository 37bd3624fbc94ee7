import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingEmail {
  notificationId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends one email or throws; the delivery job decides about retries. */
export type EmailSender = (email: OutgoingEmail) => Promise<void>;

export interface EmailSenderOptions {
  /** smtp:// or smtps:// URL. Without it, messages are written to `outboxDir` as .eml files. */
  smtpUrl?: string;
  from: string;
  outboxDir: string;
  log: { info(obj: object, msg: string): void };
}

function message(from: string, email: OutgoingEmail) {
  return {
    from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: `<${email.notificationId}@affiliate-ops>`,
    headers: { 'X-Affiliate-Ops-Notification': email.notificationId },
  };
}

export function createEmailSender(options: EmailSenderOptions): EmailSender {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport({
      url: options.smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    return async (email) => {
      await transport.sendMail(message(options.from, email));
    };
  }
  // Development without SMTP: a person reads the mail in .data/outbox (any mail client opens .eml files).
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return async (email) => {
    const info = await transport.sendMail(message(options.from, email));
    await mkdir(options.outboxDir, { recursive: true });
    const file = join(options.outboxDir, `${email.notificationId}.eml`);
    await writeFile(file, info.message as Buffer);
    options.log.info({ file, to: email.to, subject: email.subject }, 'email written to the outbox folder (SMTP_URL is not set)');
  };
}
