import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { z } from 'zod';
import { NOTIFICATION_KINDS, type NotificationKind } from '../../../db/schema/notifications.js';
import { templateHelpers } from './helpers.js';
import { notificationKinds } from './kinds.js';
import { checkTemplateVariables } from './template-variables.js';

export const NOTIFICATION_TEMPLATE_DIR = fileURLToPath(new URL('../../../templates/notifications/', import.meta.url));

const SECTIONS = ['subject', 'summary', 'body'] as const;
type Section = (typeof SECTIONS)[number];
const SUBJECT_MAX = 200;
const SUMMARY_MAX = 280;

export interface RenderedNotification {
  subject: string;
  /** One line for the dashboard inbox. */
  summary: string;
  bodyText: string;
  bodyHtml: string;
}

export interface RenderOptions {
  baseUrl: string;
}

export interface NotificationTemplates {
  /** Validates `variables` against the kind's schema (throws a ZodError) and renders every part. */
  render(kind: NotificationKind, variables: unknown, options: RenderOptions): RenderedNotification;
}

type Compiled = Record<Section, HandlebarsTemplateDelegate>;

/** A template file holds three sections, each introduced by a line `=== subject`, `=== summary` or `=== body`. */
function splitSections(file: string, source: string): Record<Section, string> {
  const sections: Partial<Record<Section, string[]>> = {};
  let current: string[] | undefined;
  for (const line of source.split('\n')) {
    const marker = /^=== (\w+)\s*$/.exec(line);
    if (marker) {
      const name = marker[1] as Section;
      if (!SECTIONS.includes(name)) throw new Error(`${file}: unknown section "${name}" (expected ${SECTIONS.join(', ')})`);
      if (sections[name]) throw new Error(`${file}: section "${name}" appears twice`);
      current = sections[name] = [];
    } else if (current) {
      current.push(line);
    } else if (line.trim() && !/^\{\{!--.*--\}\}$/.test(line.trim())) {
      throw new Error(`${file}: text before the first section marker`);
    }
  }
  const missing = SECTIONS.filter((name) => !sections[name]);
  if (missing.length > 0) throw new Error(`${file}: missing section(s) ${missing.join(', ')}`);
  return Object.fromEntries(SECTIONS.map((name) => [name, sections[name]!.join('\n').trim()])) as Record<Section, string>;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The HTML body is the text body, escaped, in paragraphs, with its links made clickable. */
function textToHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((paragraph) => {
      const html = escapeHtml(paragraph)
        .replace(/https?:\/\/[^\s<]+[^\s<.,;:!?)]/g, (url) => `<a href="${url}">${url}</a>`)
        .replace(/\n/g, '<br>\n');
      return `<p>${html}</p>`;
    })
    .join('\n');
}

const normalizeText = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function nonBlank(kind: string, part: string, value: string): string {
  if (!value) throw new Error(`notification ${kind}: the rendered ${part} is empty`);
  return value;
}

/**
 * Compiles every kind's template, its layouts and partials once, checks each template names only variables its
 * kind declares, and renders each with its sample data: any problem throws here, at start, with all problems listed.
 */
export function loadNotificationTemplates(dir: string = NOTIFICATION_TEMPLATE_DIR): NotificationTemplates {
  const hb = Handlebars.create();
  hb.registerHelper(templateHelpers);
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const compile = (source: string, escape = false) => hb.compile(source, { strict: true, noEscape: !escape });

  for (const file of readdirSync(join(dir, 'partials')).filter((name) => name.endsWith('.hbs'))) {
    hb.registerPartial(basename(file, '.hbs'), read(join('partials', file)));
  }
  const textLayout = compile(read('layout.text.hbs'));
  const htmlLayout = compile(read('layout.html.hbs'), true);

  const problems: string[] = [];
  const compiled = new Map<NotificationKind, Compiled>();
  for (const kind of NOTIFICATION_KINDS) {
    const file = `${kind}.hbs`;
    try {
      const sections = splitSections(file, read(file));
      const templates = {} as Compiled;
      for (const section of SECTIONS) {
        const ast = hb.parse(sections[section]);
        for (const unknown of checkTemplateVariables(ast, notificationKinds[kind].variables, hb.helpers)) {
          problems.push(`${file} (${section}): uses {{${unknown}}}, which is not a variable of ${kind}`);
        }
        templates[section] = compile(sections[section]);
      }
      compiled.set(kind, templates);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }

  const render = (kind: NotificationKind, variables: unknown, options: RenderOptions): RenderedNotification => {
    const templates = compiled.get(kind);
    if (!templates) throw new Error(`notification kind ${kind} has no template`);
    const definition = notificationKinds[kind];
    const context = definition.variables.parse(variables);
    const data = { data: { baseUrl: options.baseUrl, essential: definition.essential, staff: definition.audience === 'staff' } };
    const subject = nonBlank(kind, 'subject', oneLine(templates.subject(context, data), SUBJECT_MAX));
    const summary = nonBlank(kind, 'summary', oneLine(templates.summary(context, data), SUMMARY_MAX));
    const content = nonBlank(kind, 'body', normalizeText(templates.body(context, data)));
    const bodyText = normalizeText(textLayout({ content }, data));
    return { subject, summary, bodyText, bodyHtml: htmlLayout({ subject, content: textToHtml(bodyText) }, data) };
  };

  for (const kind of compiled.keys()) {
    try {
      render(kind, notificationKinds[kind].sample, { baseUrl: 'https://partners.example.com' });
    } catch (error) {
      const message = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
      problems.push(`${kind}.hbs: rendering the sample failed: ${message}`);
    }
  }
  if (problems.length > 0) throw new Error(`Notification templates are broken:\n  ${problems.join('\n  ')}`);
  return { render };
}

/** Compiled once, when the service loads this module: a broken template stops the start. */
export const notificationTemplates: NotificationTemplates = loadNotificationTemplates();
