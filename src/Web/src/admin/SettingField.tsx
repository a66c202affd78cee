import type { ReactNode } from 'react';
import type { ValueSource } from '../api/types';
import { formatValue, toInput, type FieldInput, type FieldModel } from './schemaForm';

const sourceTitles: Record<ValueSource, string> = {
  default: "The policy's default",
  file: 'From the configuration file (Policies:Chain)',
  stored: 'Set by admins (stored configuration)',
  agent: "The agent's override",
  test: 'Set for this test',
};

/** Where a value comes from: file / stored / agent / default. */
export function SourceBadge({ source, id }: { source: ValueSource; id?: string }) {
  return (
    <span id={id} className={`source source-${source}`} title={sourceTitles[source]} data-source={source}>
      <span className="visually-hidden">Value from: </span>
      {source}
    </span>
  );
}

/** Label row, control, hint and error of one editable value; `control` gets the ids it must reference. */
export function FieldShell({
  id,
  label,
  source,
  overridden,
  onInherit,
  hint,
  error,
  control,
  inline = false,
}: {
  id: string;
  label: string;
  source: ValueSource;
  overridden: boolean;
  onInherit: () => void;
  hint?: ReactNode;
  error?: string[] | undefined;
  control: (describedBy: string, invalid: boolean) => ReactNode;
  /** A checkbox: the control comes before its label. */
  inline?: boolean;
}) {
  const describedBy = [`${id}-source`, hint ? `${id}-hint` : '', error?.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  const invalid = Boolean(error?.length);
  const labelEl = (
    <label htmlFor={id} className="setting-name">
      {label}
    </label>
  );
  return (
    <div className={`setting${invalid ? ' is-invalid' : ''}`} data-setting={label}>
      <div className="setting-head">
        {inline ? (
          <span className="checkbox-line">
            {control(describedBy, invalid)}
            {labelEl}
          </span>
        ) : (
          labelEl
        )}
        <SourceBadge source={source} id={`${id}-source`} />
        {overridden && (
          <button type="button" className="link-button" onClick={onInherit} aria-label={`Inherit ${label}`} title="Drop the stored value: the file's value or the default applies">
            Inherit
          </button>
        )}
      </div>
      {!inline && control(describedBy, invalid)}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {invalid && (
        <p className="field-error" id={`${id}-error`}>
          {error!.join(' ')}
        </p>
      )}
    </div>
  );
}

function numberStep(field: FieldModel): string {
  if (field.kind === 'integer') return '1';
  if (field.minimum !== undefined && field.maximum !== undefined && field.maximum - field.minimum <= 10) return '0.01';
  return 'any';
}

/** One setting of a policy, as the form generated from its JSON Schema shows it. */
export function SettingField({
  id,
  field,
  input,
  value,
  source,
  error,
  onChange,
  onInherit,
}: {
  id: string;
  field: FieldModel;
  /** The stored value as typed, when there is one. */
  input: FieldInput | undefined;
  /** The effective value (shown when nothing is stored). */
  value: unknown;
  source: ValueSource;
  error: string[] | undefined;
  onChange: (input: FieldInput) => void;
  onInherit: () => void;
}) {
  const current = input ?? toInput(field, value);
  const hint = (
    <>
      {field.description}
      {field.description ? ' ' : ''}
      {field.kind === 'textList' && 'One per line. '}
      {field.kind === 'json' && 'JSON. '}
      Default: <code>{formatValue(field.default)}</code>.
    </>
  );
  const control = (describedBy: string, invalid: boolean) => {
    const common = { id, 'aria-describedby': describedBy, 'aria-invalid': invalid || undefined } as const;
    switch (field.kind) {
      case 'boolean':
        return <input {...common} type="checkbox" checked={current === true} onChange={(e) => onChange(e.target.checked)} />;
      case 'number':
      case 'integer':
        return (
          <input
            {...common}
            type="number"
            inputMode={field.kind === 'integer' ? 'numeric' : 'decimal'}
            step={numberStep(field)}
            min={field.minimum}
            max={field.maximum}
            value={String(current)}
            onChange={(e) => onChange(e.target.value)}
          />
        );
      case 'choice':
        return (
          <select {...common} value={String(current)} onChange={(e) => onChange(e.target.value)}>
            {!field.choices?.includes(String(current)) && <option value={String(current)}>{String(current)}</option>}
            {field.choices?.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        );
      case 'text':
        return field.multiline ? (
          <textarea {...common} rows={4} value={String(current)} onChange={(e) => onChange(e.target.value)} />
        ) : (
          <input {...common} type="text" value={String(current)} onChange={(e) => onChange(e.target.value)} autoComplete="off" />
        );
      case 'textList':
        return (
          <textarea
            {...common}
            rows={Math.min(8, Math.max(2, String(current).split('\n').length + 1))}
            value={String(current)}
            onChange={(e) => onChange(e.target.value)}
            spellCheck={false}
          />
        );
      case 'json':
        return <textarea {...common} className="mono" rows={4} value={String(current)} onChange={(e) => onChange(e.target.value)} spellCheck={false} />;
    }
  };
  return (
    <FieldShell
      id={id}
      label={field.name}
      source={source}
      overridden={input !== undefined}
      onInherit={onInherit}
      hint={hint}
      error={error}
      control={control}
      inline={field.kind === 'boolean'}
    />
  );
}
