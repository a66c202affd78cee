import { describe, expect, it } from 'vitest';
import { runParameters, sanitiseSettings } from './settings';

describe('run settings', () => {
  it('drops out-of-range or mistyped values read from storage', () => {
    expect(sanitiseSettings({ agentId: 'default', temperature: 2.5, maxTokens: 0 })).toEqual({ agentId: 'default' });
    expect(sanitiseSettings({ temperature: 0, maxTokens: 256 })).toEqual({ temperature: 0, maxTokens: 256 });
    expect(sanitiseSettings({ temperature: '1' })).toEqual({});
    expect(sanitiseSettings(null)).toEqual({});
  });

  it('sends only the parameters the user set', () => {
    expect(runParameters({ agentId: 'a' })).toBeUndefined();
    expect(runParameters({ temperature: 0 })).toEqual({ temperature: 0 });
    expect(runParameters({ temperature: 1.2, maxTokens: 100 })).toEqual({ temperature: 1.2, maxTokens: 100 });
  });
});
