// A policy's settings JSON Schema → the fields of a form, and the conversions between JSON values and
// what the inputs hold. Pure, so the form's behaviour is tested without a browser.

import type { JsonSchema } from '../api/types';

export type FieldKind = 'number' | 'integer' | 'boolean' | 'text' | 'choice' | 'textList' | 'json';

export interface FieldModel {
  name: string;
  kind: FieldKind;
  description?: string;
  default: unknown;
  minimum?: number;
  maximum?: number;
  /** Of the text, or of each item of a text list. */
  maxLength?: number;
  maxItems?: number;
  choices?: string[];
  /** Long texts (such as a judge's rules) get a textarea. */
  multiline?: boolean;
}

/** What an input holds: the text of a text box or textarea, or a checkbox's state. */
export type FieldInput = string | boolean;

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** Texts that may be longer than this get a textarea instead of a one-line input. */
const MULTILINE_FROM = 400;

function singleType(type: JsonSchema['type']): string | undefined {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const types = type.filter((t) => t !== 'null');
    return types.length === 1 ? types[0] : undefined;
  }
  return undefined;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** One form field per property, in the schema's order; what the form cannot edit becomes a JSON field. */
export function fieldsFromSchema(schema: JsonSchema | null | undefined): FieldModel[] {
  const properties = schema?.properties;
  if (!properties || typeof properties !== 'object') return [];
  return Object.entries(properties).map(([name, property]) => fieldFromProperty(name, property ?? {}));
}

export function fieldFromProperty(name: string, property: JsonSchema): FieldModel {
  const field: FieldModel = { name, kind: 'json', default: property.default };
  if (typeof property.description === 'string' && property.description) field.description = property.description;
  const type = singleType(property.type);
  switch (type) {
    case 'number':
    case 'integer':
      if (property.enum) break;
      field.kind = type;
      if (isNumber(property.minimum)) field.minimum = property.minimum;
      if (isNumber(property.maximum)) field.maximum = property.maximum;
      break;
    case 'boolean':
      field.kind = 'boolean';
      break;
    case 'string':
      if (property.enum) {
        if (!property.enum.every((c) => typeof c === 'string')) break;
        field.kind = 'choice';
        field.choices = property.enum as string[];
      } else {
        field.kind = 'text';
        if (isNumber(property.maxLength)) field.maxLength = property.maxLength;
        field.multiline = field.maxLength === undefined || field.maxLength >= MULTILINE_FROM;
      }
      break;
    case 'array': {
      const items = property.items;
      if (!items || singleType(items.type) !== 'string' || items.enum) break;
      field.kind = 'textList';
      if (isNumber(items.maxLength)) field.maxLength = items.maxLength;
      if (isNumber(property.maxItems)) field.maxItems = property.maxItems;
      break;
    }
    default:
      break;
  }
  return field;
}

/** The input's content for a JSON value (a value that does not fit the field is shown as it is). */
export function toInput(field: FieldModel, value: unknown): FieldInput {
  switch (field.kind) {
    case 'boolean':
      return value === true;
    case 'number':
    case 'integer':
      return isNumber(value) ? String(value) : value == null ? '' : String(value);
    case 'text':
    case 'choice':
      return typeof value === 'string' ? value : value == null ? '' : String(value);
    case 'textList':
      return Array.isArray(value) ? value.map((v) => String(v)).join('\n') : value == null ? '' : String(value);
    case 'json':
      return JSON.stringify(value ?? null, null, 2);
  }
}

function range(field: FieldModel): string {
  if (field.minimum !== undefined && field.maximum !== undefined) return ` from ${field.minimum} to ${field.maximum}`;
  if (field.minimum !== undefined) return ` of at least ${field.minimum}`;
  if (field.maximum !== undefined) return ` of at most ${field.maximum}`;
  return '';
}

/** The JSON value of an input, or what is wrong with it (worded for people, checked like the server does). */
export function parseInput(field: FieldModel, input: FieldInput): Parsed {
  switch (field.kind) {
    case 'boolean':
      return { ok: true, value: input === true };
    case 'number':
    case 'integer': {
      const text = String(input).trim();
      const value = Number(text);
      const what = field.kind === 'integer' ? 'a whole number' : 'a number';
      if (text === '' || !Number.isFinite(value)) return { ok: false, error: `Enter ${what}${range(field)}.` };
      if (field.kind === 'integer' && !Number.isInteger(value)) return { ok: false, error: `Enter ${what}${range(field)}.` };
      if ((field.minimum !== undefined && value < field.minimum) || (field.maximum !== undefined && value > field.maximum)) {
        return { ok: false, error: `Enter ${what}${range(field)}.` };
      }
      return { ok: true, value };
    }
    case 'text': {
      const text = String(input);
      if (field.maxLength !== undefined && text.length > field.maxLength) {
        return { ok: false, error: `At most ${field.maxLength} characters (now ${text.length}).` };
      }
      return { ok: true, value: text };
    }
    case 'choice': {
      const text = String(input);
      if (field.choices && !field.choices.includes(text)) return { ok: false, error: `Choose one of: ${field.choices.join(', ')}.` };
      return { ok: true, value: text };
    }
    case 'textList': {
      const items = String(input)
        .split(/\r\n|\r|\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '');
      if (field.maxItems !== undefined && items.length > field.maxItems) {
        return { ok: false, error: `At most ${field.maxItems} lines (now ${items.length}).` };
      }
      const tooLong = field.maxLength === undefined ? -1 : items.findIndex((item) => item.length > field.maxLength!);
      if (tooLong >= 0) return { ok: false, error: `Line ${tooLong + 1} is longer than ${field.maxLength} characters.` };
      return { ok: true, value: items };
    }
    case 'json': {
      const text = String(input).trim();
      if (text === '') return { ok: false, error: 'Enter a JSON value.' };
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch (err) {
        return { ok: false, error: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
  }
}

/** A value as a short text for people: lists joined, long texts cut. */
export function formatValue(value: unknown, maxChars = 80): string {
  let text: string;
  if (typeof value === 'string') text = value === '' ? '(empty)' : value;
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) text = value.length === 0 ? '(none)' : value.join(', ');
  else text = JSON.stringify(value) ?? String(value);
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}
