import { useId, useMemo } from 'react';
import type { FailMode, PolicyEntry, PolicyInfo } from '../api/types';
import { inherit, resolveEntry, setSetting, TIMEOUT_MAX_MS, TIMEOUT_MIN_MS, type DraftEntry } from './chainDraft';
import { FieldShell, SettingField } from './SettingField';
import { fieldsFromSchema } from './schemaForm';

interface Props {
  entry: DraftEntry;
  index: number;
  count: number;
  policy: PolicyInfo | undefined;
  file: PolicyEntry[];
  errors: Record<string, string[]> | undefined;
  disabled: boolean;
  onChange: (next: DraftEntry, path: string) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
  /** Registers the move buttons and the heading, so that focus can follow the entry after a move. */
  registerFocus: (name: 'up' | 'down' | 'heading', element: HTMLElement | null) => void;
}

/** One entry of the chain being edited: order, enabled, time budget, fail mode, and its settings form. */
export function ChainEntryCard({ entry, index, count, policy, file, errors, disabled, onChange, onMove, onRemove, registerFocus }: Props) {
  const baseId = useId();
  const fields = useMemo(() => fieldsFromSchema(policy?.settingsSchema), [policy]);
  const resolved = resolveEntry(entry, file, policy, fields);
  const enabled = resolved.enabled.value === true;
  const entryErrors = [...(errors?.[''] ?? []), ...(errors?.['policy'] ?? [])];
  const headingId = `${baseId}-heading`;

  return (
    <li
      className={`chain-entry${enabled ? '' : ' is-disabled'}`}
      data-testid="chain-entry"
      data-entry-id={entry.id}
      data-enabled={enabled}
      aria-labelledby={headingId}
    >
      <div className="chain-entry-head">
        <span className="chain-pos" aria-hidden="true">
          {index + 1}
        </span>
        <h3 id={headingId} tabIndex={-1} ref={(el) => registerFocus('heading', el)}>
          <span className="visually-hidden">Entry {index + 1} of {count}: </span>
          {entry.id || '(no id)'}
          {entry.policy !== entry.id && <span className="muted"> · {entry.policy}</span>}
          {!enabled && <span className="state-tag">disabled</span>}
        </h3>
        <div className="chain-entry-actions">
          <button
            type="button"
            className="icon"
            aria-label={`Move ${entry.id} up`}
            title="Move up"
            disabled={disabled || index === 0}
            onClick={() => onMove(-1)}
            ref={(el) => registerFocus('up', el)}
          >
            <span aria-hidden="true">↑</span>
          </button>
          <button
            type="button"
            className="icon"
            aria-label={`Move ${entry.id} down`}
            title="Move down"
            disabled={disabled || index === count - 1}
            onClick={() => onMove(1)}
            ref={(el) => registerFocus('down', el)}
          >
            <span aria-hidden="true">↓</span>
          </button>
          <button type="button" className="ghost" aria-label={`Remove ${entry.id}`} disabled={disabled} onClick={onRemove}>
            Remove
          </button>
        </div>
      </div>
      {policy && <p className="hint chain-entry-description">{policy.description}</p>}
      {entryErrors.length > 0 && <p className="field-error">{entryErrors.join(' ')}</p>}

      <div className="entry-fields">
        <div className={`setting${errors?.['id'] ? ' is-invalid' : ''}`}>
          <div className="setting-head">
            <label htmlFor={`${baseId}-id`} className="setting-name">
              Id
            </label>
          </div>
          <input
            id={`${baseId}-id`}
            type="text"
            value={entry.id}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={errors?.['id'] ? true : undefined}
            aria-describedby={`${baseId}-id-hint${errors?.['id'] ? ` ${baseId}-id-error` : ''}`}
            onChange={(e) => onChange({ ...entry, id: e.target.value }, 'id')}
          />
          <p className="hint" id={`${baseId}-id-hint`}>
            Unique in the chain; file settings apply by id.
          </p>
          {errors?.['id'] && (
            <p className="field-error" id={`${baseId}-id-error`}>
              {errors['id'].join(' ')}
            </p>
          )}
        </div>
        <FieldShell
          id={`${baseId}-enabled`}
          label="Enabled"
          source={resolved.enabled.source}
          overridden={entry.enabled !== undefined}
          onInherit={() => onChange(inherit(entry, 'enabled'), 'enabled')}
          error={errors?.['enabled']}
          inline
          control={(describedBy) => (
            <input
              id={`${baseId}-enabled`}
              type="checkbox"
              checked={enabled}
              aria-describedby={describedBy}
              onChange={(e) => onChange({ ...entry, enabled: e.target.checked }, 'enabled')}
            />
          )}
        />
        <FieldShell
          id={`${baseId}-timeout`}
          label="Timeout (ms)"
          source={resolved.timeoutMs.source}
          overridden={entry.timeoutMs !== undefined}
          onInherit={() => onChange(inherit(entry, 'timeoutMs'), 'timeoutMs')}
          error={errors?.['timeoutMs']}
          hint={`${TIMEOUT_MIN_MS}–${TIMEOUT_MAX_MS}. Default ${policy?.defaultTimeoutMs ?? 1000}.`}
          control={(describedBy, invalid) => (
            <input
              id={`${baseId}-timeout`}
              type="number"
              inputMode="numeric"
              min={TIMEOUT_MIN_MS}
              max={TIMEOUT_MAX_MS}
              step={1}
              value={entry.timeoutMs ?? String(resolved.timeoutMs.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              onChange={(e) => onChange({ ...entry, timeoutMs: e.target.value }, 'timeoutMs')}
            />
          )}
        />
        <FieldShell
          id={`${baseId}-failmode`}
          label="Fail mode"
          source={resolved.failMode.source}
          overridden={entry.failMode !== undefined}
          onInherit={() => onChange(inherit(entry, 'failMode'), 'failMode')}
          error={errors?.['failMode']}
          hint="When the policy times out or fails: open passes, closed blocks."
          control={(describedBy, invalid) => (
            <select
              id={`${baseId}-failmode`}
              value={String(resolved.failMode.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              onChange={(e) => onChange({ ...entry, failMode: e.target.value as FailMode }, 'failMode')}
            >
              <option value="closed">closed</option>
              <option value="open">open</option>
            </select>
          )}
        />
      </div>

      {fields.length > 0 && (
        <fieldset className="entry-settings">
          <legend>Settings</legend>
          {fields.map((field) => {
            const path = `settings.${field.name}`;
            const r = resolved.settings[field.name]!;
            return (
              <SettingField
                key={field.name}
                id={`${baseId}-s-${field.name}`}
                field={field}
                input={entry.settings[field.name]}
                value={r.value}
                source={r.source}
                error={errors?.[path]}
                onChange={(input) => onChange(setSetting(entry, field.name, input), path)}
                onInherit={() => onChange(inherit(entry, path), path)}
              />
            );
          })}
        </fieldset>
      )}
      {!policy && <p className="muted">This policy is not known to the server; remove the entry.</p>}
    </li>
  );
}
