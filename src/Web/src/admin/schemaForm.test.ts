import { describe, expect, it } from 'vitest';
import { fieldFromProperty, fieldsFromSchema, formatValue, parseInput, toInput } from './schemaForm';
import { toolJudge } from '../test/adminFixtures';

describe('fieldsFromSchema', () => {
  it('makes one field per property, in order, with the kind, bounds, choices and default of the schema', () => {
    const fields = fieldsFromSchema(toolJudge.settingsSchema);
    expect(fields.map((f) => [f.name, f.kind])).toEqual([
      ['judgeModel', 'text'],
      ['rules', 'text'],
      ['blockThreshold', 'number'],
      ['approvalThreshold', 'number'],
      ['gatewayApproval', 'choice'],
      ['tools', 'textList'],
      ['maxArgumentChars', 'integer'],
    ]);
    const block = fields.find((f) => f.name === 'blockThreshold')!;
    expect(block).toMatchObject({ minimum: 0, maximum: 1, default: 0.8, description: 'Blocks at or above.' });
    expect(fields.find((f) => f.name === 'gatewayApproval')!.choices).toEqual(['block', 'allow']);
    expect(fields.find((f) => f.name === 'tools')).toMatchObject({ maxLength: 200, maxItems: 200, default: [] });
  });

  it('gives long texts a textarea and short ones a one-line input', () => {
    const fields = fieldsFromSchema(toolJudge.settingsSchema);
    expect(fields.find((f) => f.name === 'rules')!.multiline).toBe(true);
    expect(fields.find((f) => f.name === 'judgeModel')!.multiline).toBe(false);
  });

  it('falls back to a JSON field for what the form cannot edit', () => {
    expect(fieldFromProperty('o', { type: 'object' }).kind).toBe('json');
    expect(fieldFromProperty('n', { type: 'array', items: { type: 'number' } }).kind).toBe('json');
    expect(fieldFromProperty('u', {}).kind).toBe('json');
    expect(fieldFromProperty('m', { type: ['string', 'number'] }).kind).toBe('json');
    expect(fieldFromProperty('e', { type: 'number', enum: [1, 2] }).kind).toBe('json');
  });

  it('reads a nullable type as its other type', () => {
    expect(fieldFromProperty('x', { type: ['integer', 'null'] }).kind).toBe('integer');
  });

  it('answers no fields for a schema without properties', () => {
    expect(fieldsFromSchema(undefined)).toEqual([]);
    expect(fieldsFromSchema({ type: 'object' })).toEqual([]);
  });
});

describe('inputs', () => {
  const [judgeModel, , block, , choice, tools, maxChars] = fieldsFromSchema(toolJudge.settingsSchema);

  it('round-trips each kind through its input', () => {
    for (const [field, value] of [
      [block!, 0.75],
      [maxChars!, 5000],
      [judgeModel!, 'sim-judge'],
      [choice!, 'allow'],
      [tools!, ['shell', 'send_email']],
      [fieldFromProperty('b', { type: 'boolean' }), true],
      [fieldFromProperty('j', { type: 'object' }), { a: [1, 2] }],
    ] as const) {
      expect(parseInput(field, toInput(field, value))).toEqual({ ok: true, value });
    }
  });

  it('checks numbers against their bounds and integers for fractions', () => {
    expect(parseInput(block!, '1.5')).toEqual({ ok: false, error: 'Enter a number from 0 to 1.' });
    expect(parseInput(block!, '')).toMatchObject({ ok: false });
    expect(parseInput(block!, 'abc')).toMatchObject({ ok: false });
    expect(parseInput(block!, ' 0.9 ')).toEqual({ ok: true, value: 0.9 });
    expect(parseInput(maxChars!, '150.5')).toEqual({ ok: false, error: 'Enter a whole number from 100 to 100000.' });
    expect(parseInput(maxChars!, '99')).toMatchObject({ ok: false });
  });

  it('reads a text list one item per line, trimmed, without blank lines, within its limits', () => {
    expect(parseInput(tools!, ' shell \n\n  send_email\r\n')).toEqual({ ok: true, value: ['shell', 'send_email'] });
    expect(parseInput(tools!, '')).toEqual({ ok: true, value: [] });
    expect(parseInput(tools!, `ok\n${'x'.repeat(201)}`)).toEqual({ ok: false, error: 'Line 2 is longer than 200 characters.' });
    expect(parseInput({ ...tools!, maxItems: 1 }, 'a\nb')).toMatchObject({ ok: false });
  });

  it('refuses texts over their length and choices not offered', () => {
    expect(parseInput(judgeModel!, 'x'.repeat(201))).toMatchObject({ ok: false });
    expect(parseInput(choice!, 'maybe')).toEqual({ ok: false, error: 'Choose one of: block, allow.' });
  });

  it('refuses malformed JSON', () => {
    const json = fieldFromProperty('j', { type: 'object' });
    expect(parseInput(json, '{"a":')).toMatchObject({ ok: false });
    expect(parseInput(json, '  ')).toMatchObject({ ok: false });
  });

  it('formats values for people', () => {
    expect(formatValue(['a', 'b'])).toBe('a, b');
    expect(formatValue([])).toBe('(none)');
    expect(formatValue('')).toBe('(empty)');
    expect(formatValue(0.8)).toBe('0.8');
    expect(formatValue('x'.repeat(100), 10)).toBe('xxxxxxxxx…');
  });
});
