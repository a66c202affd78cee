import { describe, expect, it } from 'vitest';
import { fillDays } from './UsageView';

describe('fillDays', () => {
  it('adds empty days so the chart has one bar per day', () => {
    const report = {
      from: '',
      to: '',
      groupBy: 'day' as const,
      total: { inputTokens: 15, outputTokens: 6, totalTokens: 21, calls: 2 },
      groups: [
        { key: '2026-11-20', inputTokens: 10, outputTokens: 4, totalTokens: 14, calls: 1 },
        { key: '2026-11-22T00:00:00Z', inputTokens: 5, outputTokens: 2, totalTokens: 7, calls: 1 },
      ],
    };
    const days = fillDays(report, new Date('2026-11-19T00:00:00Z'), new Date('2026-11-22T15:00:00Z'));
    expect(days).toEqual([
      { key: '2026-11-19', inputTokens: 0, outputTokens: 0 },
      { key: '2026-11-20', inputTokens: 10, outputTokens: 4 },
      { key: '2026-11-21', inputTokens: 0, outputTokens: 0 },
      { key: '2026-11-22', inputTokens: 5, outputTokens: 2 },
    ]);
  });
});
