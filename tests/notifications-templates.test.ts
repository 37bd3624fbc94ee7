import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFICATION_KINDS } from '../db/schema/notifications.js';
import { formatMoney } from '../server/domain/notifications/helpers.js';
import { ESSENTIAL_KINDS, notificationKinds } from '../server/domain/notifications/kinds.js';
import { loadNotificationTemplates, NOTIFICATION_TEMPLATE_DIR, notificationTemplates } from '../server/domain/notifications/templates.js';

const baseUrl = 'https://partners.example.com/portal';

describe('notification templates', () => {
  it.each(NOTIFICATION_KINDS)('renders %s with its sample data into a complete message', (kind) => {
    const rendered = notificationTemplates.render(kind, notificationKinds[kind].sample, { baseUrl });
    for (const part of [rendered.subject, rendered.summary, rendered.bodyText, rendered.bodyHtml]) {
      expect(part.trim()).not.toBe('');
      expect(part).not.toMatch(/undefined|null|\[object Object\]|NaN|\{\{/);
    }
    expect(rendered.subject).not.toContain('\n');
    expect(rendered.summary).not.toContain('\n');
    expect(rendered.bodyText.startsWith('Hello,\n\n')).toBe(true);
    // Every link is absolute, on the configured base URL (path prefix kept).
    for (const link of rendered.bodyText.match(/https?:\/\/\S+/g) ?? []) {
      if (link.startsWith('https://partners.example.com')) expect(link.startsWith(`${baseUrl}/`)).toBe(true);
    }
    expect(rendered.bodyHtml).toContain('<!doctype html>');
  });

  it('tells partners which notices they cannot turn off, and how to turn off the others', () => {
    const essential = notificationTemplates.render('partner_suspended', notificationKinds.partner_suspended.sample, { baseUrl });
    expect(essential.bodyText).toContain('required notice');
    const optional = notificationTemplates.render('re_engagement', notificationKinds.re_engagement.sample, { baseUrl });
    expect(optional.bodyText).toContain(`${baseUrl}/settings/notifications`);
    expect(ESSENTIAL_KINDS).toEqual(
      expect.arrayContaining(['partner_suspended', 'document_expired_hold', 'agreement_reminder', 'tier_changed', 'webhook_endpoint_disabled']),
    );
    expect(ESSENTIAL_KINDS).not.toContain('re_engagement');
    expect(ESSENTIAL_KINDS).not.toContain('custom_message');
  });

  it('renders the new rates of a tier change with money and percentages', () => {
    const rendered = notificationTemplates.render(
      'tier_changed',
      {
        programName: 'Acme',
        fromTier: null,
        toTier: 'Gold',
        currency: 'EUR',
        rate: { rateType: 'flat', value: 123_456 },
        recurringMonths: 0,
        overrides: [{ level: 1, rateType: 'percentage', value: 1250 }],
        effectiveAt: new Date('2025-01-31T23:30:00Z'),
      },
      { baseUrl },
    );
    expect(rendered.subject).toBe('Your tier in Acme is now Gold');
    expect(rendered.bodyText).toContain('changed to Gold, effective Jan 31, 2025.');
    expect(rendered.bodyText).toContain('- Your own sales: €1,234.56 per sale\n- Sales of partners you referred, level 1: 12.5%');
  });

  it('escapes variables in the HTML body and keeps them verbatim in the text body', () => {
    const rendered = notificationTemplates.render('custom_message', { subject: 'Tom & Jerry <3', message: '<script>alert(1)</script>' }, { baseUrl });
    expect(rendered.bodyText).toContain('<script>alert(1)</script>');
    expect(rendered.bodyHtml).not.toContain('<script>');
    expect(rendered.bodyHtml).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(rendered.bodyHtml).toContain('<title>Tom &amp; Jerry &lt;3</title>');
  });

  it('refuses variables that do not match the kind, instead of rendering a blank', () => {
    expect(() => notificationTemplates.render('payout_paid', { currency: 'USD', paidAt: '2025-01-01', reference: null }, { baseUrl })).toThrow(/amount/);
    expect(() =>
      notificationTemplates.render('payout_paid', { amount: 10.5, currency: 'USD', paidAt: '2025-01-01', reference: null }, { baseUrl }),
    ).toThrow();
  });
});

describe('money', () => {
  it('formats integer minor units exactly in the currency', () => {
    expect(formatMoney(123_456, 'USD')).toBe('$1,234.56');
    expect(formatMoney(5, 'USD')).toBe('$0.05');
    expect(formatMoney(-1999, 'USD')).toBe('-$19.99');
    expect(formatMoney(1500, 'JPY')).toBe('¥1,500');
    expect(formatMoney(1234, 'KWD')).toBe('KWD\u00a01.234');
    expect(formatMoney(9_007_199_254_740_991, 'USD')).toBe('$90,071,992,547,409.91');
  });
});

describe('loading templates', () => {
  const copies: string[] = [];
  afterEach(() => {
    for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the shipped templates with one file edited; returns a loader for it. */
  const brokenCopy = (file: string, edit: (source: string) => string) => {
    const dir = mkdtempSync(join(tmpdir(), 'ao-templates-'));
    copies.push(dir);
    cpSync(NOTIFICATION_TEMPLATE_DIR, dir, { recursive: true });
    writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
    return () => loadNotificationTemplates(dir);
  };

  it('loads the shipped templates', () => {
    expect(() => loadNotificationTemplates()).not.toThrow();
  });

  it('fails at start when a template names a variable its kind does not declare, even as a helper argument', () => {
    expect(brokenCopy('payout_paid.hbs', (source) => source.replace('{{money amount currency}}', '{{money amout currency}}'))).toThrow(
      /payout_paid\.hbs \(subject\): uses \{\{amout\}\}/,
    );
    expect(brokenCopy('partner_suspended.hbs', (source) => source.replace('{{#if note}}', '{{#if notes}}'))).toThrow(/uses \{\{notes\}\}/);
    expect(brokenCopy('tier_changed.hbs', (source) => source.replace('{{date effectiveAt}}', '{{date rate.effective}}'))).toThrow(
      /uses \{\{rate\.effective\}\}/,
    );
  });

  it('fails at start on a syntax error, a missing section or a missing template', () => {
    expect(brokenCopy('ticket_reply.hbs', (source) => source.replace('{{subject}}', '{{subject}'))).toThrow(/Parse error/);
    expect(brokenCopy('ticket_reply.hbs', (source) => source.replace('=== summary', '=== sumary'))).toThrow(/unknown section "sumary"/);
    expect(brokenCopy('custom_message.hbs', (source) => source.replace(/=== body[\s\S]*/, ''))).toThrow(/missing section\(s\) body/);
    const load = brokenCopy('custom_message.hbs', (source) => source);
    rmSync(join(copies.at(-1)!, 'custom_message.hbs'));
    expect(load).toThrow(/custom_message\.hbs/);
  });

  it('fails at start when a helper gets a value it cannot format', () => {
    expect(brokenCopy('payout_paid.hbs', (source) => source.replace('{{date paidAt}}', '{{date reference}}'))).toThrow(
      /template helper date: expected a date/,
    );
  });
});
