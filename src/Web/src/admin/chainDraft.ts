// The policy chain as an admin edits it: the stored layer only (file defaults < stored < agent), so a
// value the admin does not touch keeps coming from the file. Pure: edits, validation, the body of
// `PUT /admin/policies/chain`, where each value comes from, and the server's field errors.

import { ApiError } from '../api/problem';
import type { FailMode, PolicyChainView, PolicyEntry, PolicyInfo, ValueSource } from '../api/types';
import { fieldsFromSchema, parseInput, toInput, type FieldInput, type FieldModel } from './schemaForm';

export const MAX_ENTRIES = 20;
export const TIMEOUT_MIN_MS = 1;
export const TIMEOUT_MAX_MS = 120_000;
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** One entry of the edited chain. Members left undefined are inherited from the file entry of the same id. */
export interface DraftEntry {
  /** Stable across edits (React key, where field errors attach); never sent. */
  key: string;
  id: string;
  policy: string;
  enabled?: boolean;
  /** What the input holds. */
  timeoutMs?: string;
  failMode?: FailMode;
  /** Settings set at the stored layer, as the inputs hold them. */
  settings: Record<string, FieldInput>;
}

/** Field errors: per entry key, per path inside the entry (`id`, `timeoutMs`, `settings.blockThreshold`, '' = the entry). */
export interface DraftErrors {
  general: string[];
  entries: Record<string, Record<string, string[]>>;
}

export const noErrors: DraftErrors = { general: [], entries: {} };

export function hasErrors(errors: DraftErrors): boolean {
  return errors.general.length > 0 || Object.values(errors.entries).some((e) => Object.keys(e).length > 0);
}

export function entryKeyOf(entry: PolicyEntry): string {
  return entry.id || entry.policy || '';
}

export function policyNameOf(entry: PolicyEntry): string {
  return entry.policy || entry.id || '';
}

let keyCounter = 0;
export function newKey(): string {
  keyCounter += 1;
  return `entry-${keyCounter}`;
}

/** A configured entry (stored or file) as a draft entry. */
export function draftEntryFrom(entry: PolicyEntry, policies: PolicyInfo[], key: string = newKey()): DraftEntry {
  const policy = policyNameOf(entry);
  const fields = fieldsFromSchema(policies.find((p) => p.name === policy)?.settingsSchema);
  const draft: DraftEntry = { key, id: entryKeyOf(entry), policy, settings: {} };
  if (typeof entry.enabled === 'boolean') draft.enabled = entry.enabled;
  if (typeof entry.timeoutMs === 'number') draft.timeoutMs = String(entry.timeoutMs);
  if (entry.failMode === 'open' || entry.failMode === 'closed') draft.failMode = entry.failMode;
  for (const [name, value] of Object.entries(entry.settings ?? {})) {
    const field = fields.find((f) => f.name === name) ?? { name, kind: 'json' as const, default: undefined };
    draft.settings[name] = toInput(field, value);
  }
  return draft;
}

/**
 * The chain to edit: the stored entries when there are some; otherwise the file's entries with nothing
 * set at the stored layer, so that saving them unchanged changes no effective value.
 */
export function draftFromView(view: PolicyChainView, policies: PolicyInfo[]): DraftEntry[] {
  if (view.stored) return view.stored.map((e) => draftEntryFrom(e, policies));
  return view.file.map((e) => draftEntryFrom({ id: entryKeyOf(e), policy: policyNameOf(e) }, policies));
}

/** Compares drafts by content (not keys), to tell whether there is something to save. */
export function draftSignature(draft: DraftEntry[]): string {
  return JSON.stringify(
    draft.map((e) => [e.id, e.policy, e.enabled ?? null, e.timeoutMs ?? null, e.failMode ?? null, Object.entries(e.settings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]),
  );
}

// --- edits -------------------------------------------------------------------------------------

/** Moves the entry at `index` by `delta` places (clamped); the same array when it cannot move. */
export function moveEntry(draft: DraftEntry[], index: number, delta: number): DraftEntry[] {
  const target = Math.max(0, Math.min(draft.length - 1, index + delta));
  if (index < 0 || index >= draft.length || target === index) return draft;
  const next = [...draft];
  const [entry] = next.splice(index, 1);
  next.splice(target, 0, entry!);
  return next;
}

export function removeEntry(draft: DraftEntry[], key: string): DraftEntry[] {
  return draft.filter((e) => e.key !== key);
}

/** An id for a new entry of `policy`: the policy's name, or `name-2`, `name-3`… when taken. */
export function uniqueId(draft: DraftEntry[], policy: string): string {
  const taken = new Set(draft.map((e) => e.id));
  if (!taken.has(policy)) return policy;
  for (let n = 2; ; n++) {
    const id = `${policy}-${n}`;
    if (!taken.has(id)) return id;
  }
}

/** Appends an entry of `policy` with a free id and nothing overridden. */
export function addEntry(draft: DraftEntry[], policy: string, key: string = newKey()): DraftEntry[] {
  return [...draft, { key, id: uniqueId(draft, policy), policy, settings: {} }];
}

export function updateEntry(draft: DraftEntry[], key: string, change: (entry: DraftEntry) => DraftEntry): DraftEntry[] {
  return draft.map((e) => (e.key === key ? change(e) : e));
}

export function setSetting(entry: DraftEntry, name: string, input: FieldInput): DraftEntry {
  return { ...entry, settings: { ...entry.settings, [name]: input } };
}

/** Drops the stored value of a setting (or of `enabled`, `timeoutMs`, `failMode`): the file's or the default applies. */
export function inherit(entry: DraftEntry, path: string): DraftEntry {
  const next: DraftEntry = { ...entry, settings: { ...entry.settings } };
  if (path === 'enabled') delete next.enabled;
  else if (path === 'timeoutMs') delete next.timeoutMs;
  else if (path === 'failMode') delete next.failMode;
  else if (path.startsWith('settings.')) delete next.settings[path.slice('settings.'.length)];
  return next;
}

// --- effective values ----------------------------------------------------------------------------

export interface Resolved {
  value: unknown;
  source: ValueSource;
}

export interface ResolvedEntry {
  enabled: Resolved;
  timeoutMs: Resolved;
  failMode: Resolved;
  settings: Record<string, Resolved>;
}

/**
 * What applies for a draft entry and where it comes from, as the server merges it: the policy's
 * defaults < the file entry of the same id < the draft (stored). Invalid inputs show as typed.
 */
export function resolveEntry(entry: DraftEntry, file: PolicyEntry[], policy: PolicyInfo | undefined, fields: FieldModel[]): ResolvedEntry {
  const fileEntry = file.find((e) => entryKeyOf(e) === entry.id);
  const pick = (draftValue: unknown, fileValue: unknown, fallback: unknown): Resolved =>
    draftValue !== undefined
      ? { value: draftValue, source: 'stored' }
      : fileValue !== undefined && fileValue !== null
        ? { value: fileValue, source: 'file' }
        : { value: fallback, source: 'default' };

  const timeout = entry.timeoutMs === undefined ? undefined : Number(entry.timeoutMs);
  const settings: Record<string, Resolved> = {};
  for (const field of fields) {
    const input = entry.settings[field.name];
    let draftValue: unknown;
    if (input !== undefined) {
      const parsed = parseInput(field, input);
      draftValue = parsed.ok ? parsed.value : input;
    }
    settings[field.name] = pick(draftValue, fileEntry?.settings?.[field.name], field.default);
  }
  return {
    enabled: pick(entry.enabled, fileEntry?.enabled, true),
    timeoutMs: pick(entry.timeoutMs === undefined ? undefined : Number.isFinite(timeout) ? timeout : entry.timeoutMs, fileEntry?.timeoutMs, policy?.defaultTimeoutMs ?? 1000),
    failMode: pick(entry.failMode, fileEntry?.failMode, policy?.defaultFailMode ?? 'closed'),
    settings,
  };
}

// --- validation and the request body ------------------------------------------------------------

function addError(errors: DraftErrors, key: string, path: string, message: string): void {
  const entry = (errors.entries[key] ??= {});
  (entry[path] ??= []).push(message);
}

/**
 * The body's `chain` and the problems the server would report (checked here first so that they show at
 * once next to their fields). Cross-field rules of a policy (e.g. the judge's thresholds) are left to
 * the server, whose answer `mapServerErrors` places.
 */
export function buildChain(draft: DraftEntry[], policies: PolicyInfo[]): { chain: PolicyEntry[]; errors: DraftErrors } {
  const errors: DraftErrors = { general: [], entries: {} };
  if (draft.length > MAX_ENTRIES) errors.general.push(`The chain may have at most ${MAX_ENTRIES} entries.`);
  const seen = new Set<string>();
  const chain = draft.map((entry) => {
    const body: PolicyEntry = { policy: entry.policy, id: entry.id };
    const policy = policies.find((p) => p.name === entry.policy);
    if (!policy) addError(errors, entry.key, 'policy', `"${entry.policy}" is not a known policy.`);
    if (!ID_PATTERN.test(entry.id)) {
      addError(errors, entry.key, 'id', "1–64 characters: lower-case letters, digits, '-', '_' or '.', starting with a letter or digit.");
    } else if (seen.has(entry.id)) {
      addError(errors, entry.key, 'id', `Another entry already has the id "${entry.id}".`);
    }
    seen.add(entry.id);
    if (entry.enabled !== undefined) body.enabled = entry.enabled;
    if (entry.timeoutMs !== undefined) {
      const text = entry.timeoutMs.trim();
      const ms = Number(text);
      if (text === '' || !Number.isInteger(ms) || ms < TIMEOUT_MIN_MS || ms > TIMEOUT_MAX_MS) {
        addError(errors, entry.key, 'timeoutMs', `Enter a whole number of milliseconds from ${TIMEOUT_MIN_MS} to ${TIMEOUT_MAX_MS}.`);
      } else {
        body.timeoutMs = ms;
      }
    }
    if (entry.failMode !== undefined) body.failMode = entry.failMode;
    const fields = fieldsFromSchema(policy?.settingsSchema);
    const settings: Record<string, unknown> = {};
    for (const [name, input] of Object.entries(entry.settings)) {
      const field = fields.find((f) => f.name === name);
      if (!field) {
        if (policy) addError(errors, entry.key, `settings.${name}`, `"${name}" is not a setting of ${policy.name}.`);
        continue;
      }
      const parsed = parseInput(field, input);
      if (parsed.ok) settings[name] = parsed.value;
      else addError(errors, entry.key, `settings.${name}`, parsed.error);
    }
    if (Object.keys(settings).length > 0) body.settings = settings;
    return body;
  });
  return { chain, errors };
}

const ENTRY_PATH = /^chain\[(\d+)\](?:\.(.+))?$/;

/**
 * Places the `errors` of a 400 (keyed by paths such as `chain[0].settings.blockThreshold`) on the draft
 * entries that were sent, by position. Paths that name no entry (`chain`, an unknown index) are general.
 */
export function mapServerErrors(serverErrors: Record<string, string[]> | undefined, sent: DraftEntry[]): DraftErrors {
  const errors: DraftErrors = { general: [], entries: {} };
  for (const [path, messages] of Object.entries(serverErrors ?? {})) {
    const match = ENTRY_PATH.exec(path);
    const entry = match ? sent[Number(match[1])] : undefined;
    for (const message of messages) {
      if (entry) addError(errors, entry.key, match![2] ?? '', message);
      else errors.general.push(path ? `${path} ${message}` : message);
    }
  }
  return errors;
}

/**
 * What a failed save means: someone changed the chain first (409 `policy_chain_changed`, or a 412 from
 * a proxy or a later server), field errors to show next to the fields, or anything else.
 */
export function classifySaveFailure(
  err: unknown,
  sent: DraftEntry[],
): { kind: 'conflict' } | { kind: 'fields'; errors: DraftErrors } | { kind: 'other' } {
  if (!(err instanceof ApiError)) return { kind: 'other' };
  if (err.status === 412 || err.code === 'policy_chain_changed') return { kind: 'conflict' };
  if (err.status === 400 && err.problem.errors) return { kind: 'fields', errors: mapServerErrors(err.problem.errors, sent) };
  return { kind: 'other' };
}

/** The errors without those of one field (after the admin edits it). */
export function clearFieldError(errors: DraftErrors, key: string, path: string): DraftErrors {
  const entry = errors.entries[key];
  if (!entry || !(path in entry)) return errors;
  const rest = { ...entry };
  delete rest[path];
  return { ...errors, entries: { ...errors.entries, [key]: rest } };
}

/** How many messages there are, for the summary above the chain. */
export function countErrors(errors: DraftErrors): number {
  return errors.general.length + Object.values(errors.entries).reduce((n, e) => n + Object.values(e).reduce((m, list) => m + list.length, 0), 0);
}
