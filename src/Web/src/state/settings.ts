import { useCallback, useState } from 'react';
import type { RunParameters } from '../api/types';

/** Per-request choices from the settings panel. Not secret, so they persist in localStorage. */
export interface RunSettings {
  agentId?: string;
  temperature?: number;
  maxTokens?: number;
}

const KEY = 'agents.runSettings';

export function sanitiseSettings(raw: unknown): RunSettings {
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const settings: RunSettings = {};
  if (typeof r['agentId'] === 'string' && r['agentId'] !== '') settings.agentId = r['agentId'];
  if (typeof r['temperature'] === 'number' && r['temperature'] >= 0 && r['temperature'] <= 2) {
    settings.temperature = r['temperature'];
  }
  if (typeof r['maxTokens'] === 'number' && Number.isInteger(r['maxTokens']) && r['maxTokens'] > 0) {
    settings.maxTokens = r['maxTokens'];
  }
  return settings;
}

/** What `POST /runs` gets: only the values the user set; the agent's defaults apply otherwise. */
export function runParameters(settings: RunSettings): RunParameters | undefined {
  const parameters: RunParameters = {};
  if (settings.temperature !== undefined) parameters.temperature = settings.temperature;
  if (settings.maxTokens !== undefined) parameters.maxTokens = settings.maxTokens;
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

export function useRunSettings(): [RunSettings, (next: RunSettings) => void] {
  const [settings, setSettings] = useState<RunSettings>(() => {
    try {
      return sanitiseSettings(JSON.parse(window.localStorage.getItem(KEY) ?? 'null'));
    } catch {
      return {};
    }
  });
  const update = useCallback((next: RunSettings) => {
    const clean = sanitiseSettings(next);
    setSettings(clean);
    window.localStorage.setItem(KEY, JSON.stringify(clean));
  }, []);
  return [settings, update];
}
