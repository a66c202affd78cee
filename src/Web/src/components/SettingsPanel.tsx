import { useId, useState } from 'react';
import type { Agent } from '../api/types';
import type { RunSettings } from '../state/settings';

interface Props {
  id: string;
  agents: Agent[];
  settings: RunSettings;
  onChange: (next: RunSettings) => void;
}

/** Per-request run parameters: agent, temperature (0–2), max tokens. Empty means the agent's default. */
export function SettingsPanel({ id, agents, settings, onChange }: Props) {
  const baseId = useId();
  const agent = agents.find((a) => a.id === (settings.agentId ?? 'default')) ?? agents[0];
  const [temperatureText, setTemperatureText] = useState(settings.temperature?.toString() ?? '');
  const [maxTokensText, setMaxTokensText] = useState(settings.maxTokens?.toString() ?? '');

  const temperature = temperatureText.trim() === '' ? undefined : Number(temperatureText);
  const temperatureError =
    temperature !== undefined && (!Number.isFinite(temperature) || temperature < 0 || temperature > 2)
      ? 'Enter a number from 0 to 2.'
      : undefined;
  const maxTokens = maxTokensText.trim() === '' ? undefined : Number(maxTokensText);
  const maxTokensError =
    maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1) ? 'Enter a whole number above 0.' : undefined;

  function commit(next: Partial<RunSettings>, texts?: { temperature?: string; maxTokens?: string }) {
    const t = texts?.temperature ?? temperatureText;
    const m = texts?.maxTokens ?? maxTokensText;
    const tv = t.trim() === '' ? undefined : Number(t);
    const mv = m.trim() === '' ? undefined : Number(m);
    const merged: RunSettings = { ...settings, ...next };
    if (tv !== undefined && Number.isFinite(tv) && tv >= 0 && tv <= 2) merged.temperature = tv;
    else delete merged.temperature;
    if (mv !== undefined && Number.isInteger(mv) && mv > 0) merged.maxTokens = mv;
    else delete merged.maxTokens;
    onChange(merged);
  }

  return (
    <section id={id} className="settings" aria-label="Run settings" data-testid="settings-panel">
      <div className="field">
        <label htmlFor={`${baseId}-agent`}>Agent</label>
        <select
          id={`${baseId}-agent`}
          value={agent?.id ?? ''}
          onChange={(e) => commit({ agentId: e.target.value })}
          disabled={agents.length === 0}
        >
          {agents.length === 0 && <option value="">Loading agents…</option>}
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name || a.id}
            </option>
          ))}
        </select>
        {agent && (
          <p className="hint">
            Model <code>{agent.model}</code>
            {agent.tools.length > 0 && <> · tools: {agent.tools.map((t) => t.name).join(', ')}</>}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${baseId}-temperature`}>Temperature</label>
        <input
          id={`${baseId}-temperature`}
          type="number"
          inputMode="decimal"
          min={0}
          max={2}
          step={0.1}
          value={temperatureText}
          placeholder={agent?.defaults.temperature !== undefined ? `Default ${agent.defaults.temperature}` : 'Agent default'}
          aria-invalid={temperatureError ? true : undefined}
          aria-describedby={temperatureError ? `${baseId}-temperature-error` : undefined}
          onChange={(e) => {
            setTemperatureText(e.target.value);
            commit({}, { temperature: e.target.value });
          }}
        />
        {temperatureError && (
          <p id={`${baseId}-temperature-error`} className="field-error">
            {temperatureError}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${baseId}-max-tokens`}>Max tokens</label>
        <input
          id={`${baseId}-max-tokens`}
          type="number"
          inputMode="numeric"
          min={1}
          step={1}
          value={maxTokensText}
          placeholder={agent?.defaults.maxTokens !== undefined ? `Default ${agent.defaults.maxTokens}` : 'Agent default'}
          aria-invalid={maxTokensError ? true : undefined}
          aria-describedby={maxTokensError ? `${baseId}-max-tokens-error` : undefined}
          onChange={(e) => {
            setMaxTokensText(e.target.value);
            commit({}, { maxTokens: e.target.value });
          }}
        />
        {maxTokensError && (
          <p id={`${baseId}-max-tokens-error`} className="field-error">
            {maxTokensError}
          </p>
        )}
      </div>
      <button
        type="button"
        className="ghost"
        onClick={() => {
          setTemperatureText('');
          setMaxTokensText('');
          onChange(settings.agentId ? { agentId: settings.agentId } : {});
        }}
      >
        Use agent defaults
      </button>
    </section>
  );
}
