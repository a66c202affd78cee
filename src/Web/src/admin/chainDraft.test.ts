import { describe, expect, it } from 'vitest';
import type { PolicyChainView } from '../api/types';
import { ApiError } from '../api/problem';
import { fileOnlyView, policies, sizeLimit, toolJudge } from '../test/adminFixtures';
import {
  addEntry,
  buildChain,
  classifySaveFailure,
  clearFieldError,
  countErrors,
  draftFromView,
  draftSignature,
  hasErrors,
  inherit,
  mapServerErrors,
  moveEntry,
  removeEntry,
  resolveEntry,
  setSetting,
  uniqueId,
  updateEntry,
  type DraftEntry,
} from './chainDraft';
import { fieldsFromSchema } from './schemaForm';

function entry(id: string, policy = id, extra: Partial<DraftEntry> = {}): DraftEntry {
  return { key: `k-${id}`, id, policy, settings: {}, ...extra };
}

const storedView: PolicyChainView = {
  ...fileOnlyView,
  source: 'stored',
  storedVersion: 3,
  stored: [
    { policy: 'tool-judge', id: 'tool-judge', enabled: false, settings: { blockThreshold: 0.9, tools: ['shell', 'send_email'] } },
    { policy: 'size-limit', timeoutMs: 500, failMode: 'open' },
  ],
};

describe('draftFromView', () => {
  it('edits the stored entries when there are some, as their inputs hold them', () => {
    const draft = draftFromView(storedView, policies);
    expect(draft.map(({ key: _key, ...rest }) => rest)).toEqual([
      { id: 'tool-judge', policy: 'tool-judge', enabled: false, settings: { blockThreshold: '0.9', tools: 'shell\nsend_email' } },
      { id: 'size-limit', policy: 'size-limit', timeoutMs: '500', failMode: 'open', settings: {} },
    ]);
  });

  it("starts from the file's entries with nothing set when nothing is stored, so saving them changes no value", () => {
    const draft = draftFromView(fileOnlyView, policies);
    expect(draft.map((e) => [e.id, e.enabled, e.timeoutMs, e.settings])).toEqual([
      ['size-limit', undefined, undefined, {}],
      ['tool-judge', undefined, undefined, {}],
    ]);
    expect(buildChain(draft, policies).chain).toEqual([
      { policy: 'size-limit', id: 'size-limit' },
      { policy: 'tool-judge', id: 'tool-judge' },
    ]);
  });

  it('gives every entry its own key', () => {
    const draft = draftFromView(storedView, policies);
    expect(new Set(draft.map((e) => e.key)).size).toBe(2);
  });
});

describe('chain edits', () => {
  const abc = [entry('a'), entry('b'), entry('c')];

  it('moves an entry up and down, and not past either end', () => {
    expect(moveEntry(abc, 2, -1).map((e) => e.id)).toEqual(['a', 'c', 'b']);
    expect(moveEntry(abc, 0, 1).map((e) => e.id)).toEqual(['b', 'a', 'c']);
    expect(moveEntry(abc, 0, -1)).toBe(abc);
    expect(moveEntry(abc, 2, 1)).toBe(abc);
    expect(abc.map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('removes an entry by key', () => {
    expect(removeEntry(abc, 'k-b').map((e) => e.id)).toEqual(['a', 'c']);
  });

  it('adds an entry with the policy name as id, or a numbered one when that is taken', () => {
    const one = addEntry([], 'tool-judge', 'n1');
    expect(one).toEqual([{ key: 'n1', id: 'tool-judge', policy: 'tool-judge', settings: {} }]);
    const two = addEntry(one, 'tool-judge', 'n2');
    expect(two[1]!.id).toBe('tool-judge-2');
    expect(uniqueId([...two, entry('tool-judge-3', 'tool-judge')], 'tool-judge')).toBe('tool-judge-4');
  });

  it('sets and un-sets stored values', () => {
    const e = setSetting(entry('tool-judge', 'tool-judge', { timeoutMs: '5' }), 'blockThreshold', '0.7');
    expect(e.settings).toEqual({ blockThreshold: '0.7' });
    expect(inherit(e, 'settings.blockThreshold').settings).toEqual({});
    expect(inherit(e, 'timeoutMs').timeoutMs).toBeUndefined();
    expect(updateEntry(abc, 'k-b', (x) => ({ ...x, enabled: false }))[1]!.enabled).toBe(false);
  });

  it('tells a changed draft from an unchanged one, whatever the keys', () => {
    const a = draftFromView(storedView, policies);
    const b = draftFromView(storedView, policies);
    expect(draftSignature(a)).toBe(draftSignature(b));
    expect(draftSignature(moveEntry(a, 0, 1))).not.toBe(draftSignature(b));
    expect(draftSignature(updateEntry(a, a[0]!.key, (e) => setSetting(e, 'rules', 'x')))).not.toBe(draftSignature(b));
  });
});

describe('buildChain (validation and body)', () => {
  it('sends only what is set at the stored layer, typed', () => {
    const draft = [
      entry('tool-judge', 'tool-judge', { enabled: false, timeoutMs: ' 9000 ', failMode: 'open', settings: { blockThreshold: '0.9', tools: 'a\nb' } }),
    ];
    const { chain, errors } = buildChain(draft, policies);
    expect(hasErrors(errors)).toBe(false);
    expect(chain).toEqual([
      { policy: 'tool-judge', id: 'tool-judge', enabled: false, timeoutMs: 9000, failMode: 'open', settings: { blockThreshold: 0.9, tools: ['a', 'b'] } },
    ]);
  });

  it('names each bad field of each entry', () => {
    const draft = [
      entry('Bad Id', 'tool-judge', { timeoutMs: '0', settings: { blockThreshold: '2', gatewayApproval: 'maybe' } }),
      entry('size-limit', 'size-limit', { timeoutMs: '1.5' }),
      entry('size-limit', 'size-limit'),
      entry('x', 'no-such-policy'),
    ];
    const { errors } = buildChain(draft, policies);
    expect(Object.keys(errors.entries['k-Bad Id']!).sort()).toEqual(['id', 'settings.blockThreshold', 'settings.gatewayApproval', 'timeoutMs']);
    expect(errors.entries['k-size-limit']).toMatchObject({ timeoutMs: [expect.stringContaining('1 to 120000')] });
    expect(errors.entries['k-size-limit']!['id']).toEqual(['Another entry already has the id "size-limit".']);
    expect(errors.entries['k-x']).toEqual({ policy: ['"no-such-policy" is not a known policy.'] });
    expect(errors.general).toEqual([]);
  });

  it('refuses more than 20 entries', () => {
    const draft = Array.from({ length: 21 }, (_, i) => entry(`s${i}`, 'size-limit'));
    expect(buildChain(draft, policies).errors.general).toEqual(['The chain may have at most 20 entries.']);
  });

  it('accepts an empty chain (no policies at all)', () => {
    expect(buildChain([], policies)).toEqual({ chain: [], errors: { general: [], entries: {} } });
  });
});

describe('mapServerErrors', () => {
  const sent = [entry('size-limit'), entry('tool-judge')];

  it('puts errors keyed by field path next to the entry and field they name', () => {
    const errors = mapServerErrors(
      {
        'chain[1].settings.approvalThreshold': ['must not be above blockThreshold'],
        'chain[1].settings.blockThreshold': ['must be between 0 and 1'],
        'chain[0].timeoutMs': ['must be between 1 and 120000'],
        'chain[0]': ['must be an object'],
      },
      sent,
    );
    expect(errors.entries['k-tool-judge']).toEqual({
      'settings.approvalThreshold': ['must not be above blockThreshold'],
      'settings.blockThreshold': ['must be between 0 and 1'],
    });
    expect(errors.entries['k-size-limit']).toEqual({ timeoutMs: ['must be between 1 and 120000'], '': ['must be an object'] });
    expect(errors.general).toEqual([]);
    expect(countErrors(errors)).toBe(4);
  });

  it('keeps paths that name no entry as general messages', () => {
    const errors = mapServerErrors({ chain: ['may have at most 20 entries'], 'chain[7].id': ['bad'], request: ['x'] }, sent);
    expect(errors.general).toEqual(['chain may have at most 20 entries', 'chain[7].id bad', 'request x']);
    expect(errors.entries).toEqual({});
  });

  it('follows the entries when they are reordered after the answer (errors attach to keys)', () => {
    const errors = mapServerErrors({ 'chain[0].id': ['taken'] }, sent);
    const reordered = moveEntry(sent, 0, 1);
    expect(errors.entries[reordered[1]!.key]).toEqual({ id: ['taken'] });
  });

  it('clears one field error when that field is edited', () => {
    const errors = mapServerErrors({ 'chain[0].id': ['taken'], 'chain[0].timeoutMs': ['bad'] }, sent);
    const cleared = clearFieldError(errors, 'k-size-limit', 'id');
    expect(cleared.entries['k-size-limit']).toEqual({ timeoutMs: ['bad'] });
    expect(clearFieldError(cleared, 'k-size-limit', 'id')).toBe(cleared);
  });
});

describe('classifySaveFailure', () => {
  const sent = [entry('tool-judge')];

  it('reads a 409 policy_chain_changed or a 412 as someone else having changed the chain', () => {
    expect(classifySaveFailure(new ApiError(409, { code: 'policy_chain_changed' }), sent)).toEqual({ kind: 'conflict' });
    expect(classifySaveFailure(new ApiError(412, {}), sent)).toEqual({ kind: 'conflict' });
  });

  it('places the field errors of a 400 on the entries sent', () => {
    const failure = classifySaveFailure(new ApiError(400, { code: 'validation_failed', errors: { 'chain[0].settings.rules': ['too long'] } }), sent);
    expect(failure).toEqual({ kind: 'fields', errors: { general: [], entries: { 'k-tool-judge': { 'settings.rules': ['too long'] } } } });
  });

  it('leaves other failures (a 400 without field errors, another 409, a network error) to the error notice', () => {
    expect(classifySaveFailure(new ApiError(400, { code: 'malformed_json' }), sent)).toEqual({ kind: 'other' });
    expect(classifySaveFailure(new ApiError(409, { code: 'conflict' }), sent)).toEqual({ kind: 'other' });
    expect(classifySaveFailure(new TypeError('fetch failed'), sent)).toEqual({ kind: 'other' });
  });
});

describe('resolveEntry', () => {
  const judgeFields = fieldsFromSchema(toolJudge.settingsSchema);

  it('takes each value from the draft, else the file entry of the same id, else the default, and says which', () => {
    const e = entry('tool-judge', 'tool-judge', { settings: { blockThreshold: '0.9' } });
    const r = resolveEntry(e, fileOnlyView.file, toolJudge, judgeFields);
    expect(r.settings['blockThreshold']).toEqual({ value: 0.9, source: 'stored' });
    expect(r.settings['approvalThreshold']).toEqual({ value: 0.5, source: 'default' });
    expect(r.timeoutMs).toEqual({ value: 8000, source: 'file' });
    expect(r.failMode).toEqual({ value: 'closed', source: 'file' });
    expect(r.enabled).toEqual({ value: true, source: 'default' });
  });

  it('matches file entries by id, so a second entry of a policy inherits nothing from the first', () => {
    const sizeFields = fieldsFromSchema(sizeLimit.settingsSchema);
    expect(resolveEntry(entry('size-limit'), fileOnlyView.file, sizeLimit, sizeFields).settings['maxOutputTokens']).toEqual({ value: 4096, source: 'file' });
    const second = resolveEntry(entry('size-limit-2', 'size-limit'), fileOnlyView.file, sizeLimit, sizeFields);
    expect(second.settings['maxOutputTokens']).toEqual({ value: 0, source: 'default' });
    expect(second.timeoutMs).toEqual({ value: 1000, source: 'default' });
  });
});
