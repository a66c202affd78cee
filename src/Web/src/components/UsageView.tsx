import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { UsageReport } from '../api/types';
import { BarChart } from './BarChart';
import { ErrorNotice } from './ErrorNotice';

const ranges = [7, 30, 90] as const;
const format = new Intl.NumberFormat();

/** Days from `from` to `to` (UTC), so that days without usage show as empty bars. */
export function fillDays(report: UsageReport, from: Date, to: Date): { key: string; inputTokens: number; outputTokens: number }[] {
  const byKey = new Map(report.groups.map((g) => [g.key.slice(0, 10), g]));
  const days: { key: string; inputTokens: number; outputTokens: number }[] = [];
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (day <= to) {
    const key = day.toISOString().slice(0, 10);
    const g = byKey.get(key);
    days.push({ key, inputTokens: g?.inputTokens ?? 0, outputTokens: g?.outputTokens ?? 0 });
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days;
}

export function UsageView({ api }: { api: ApiClient }) {
  const [days, setDays] = useState<(typeof ranges)[number]>(30);
  const [byDay, setByDay] = useState<UsageReport | null>(null);
  const [byAgent, setByAgent] = useState<UsageReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [period, setPeriod] = useState<{ from: Date; to: Date } | null>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      const to = new Date();
      const from = new Date(to.getTime() - (days - 1) * 86_400_000);
      from.setUTCHours(0, 0, 0, 0);
      setLoading(true);
      setError(null);
      try {
        const [d, a] = await Promise.all([api.usage('day', from, to, signal), api.usage('agent', from, to, signal)]);
        setByDay(d);
        setByAgent(a);
        setPeriod({ from, to });
      } catch (err) {
        if (!signal?.aborted) setError(err);
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [api, days],
  );

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const total = byDay?.total;

  return (
    <section className="page usage" aria-labelledby="usage-title">
      <div className="page-header">
        <h1 id="usage-title">Usage</h1>
        <label className="inline-field">
          Period{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value) as (typeof ranges)[number])}>
            {ranges.map((r) => (
              <option key={r} value={r}>
                Last {r} days
              </option>
            ))}
          </select>
        </label>
      </div>
      {error ? <ErrorNotice error={error} onRetry={() => void load()} /> : null}
      {loading && (
        <p className="muted" role="status">
          Loading usage…
        </p>
      )}
      {total && (
        <dl className="totals" data-testid="usage-totals">
          <div>
            <dt>Total tokens</dt>
            <dd>{format.format(total.totalTokens)}</dd>
          </div>
          <div>
            <dt>Input</dt>
            <dd>{format.format(total.inputTokens)}</dd>
          </div>
          <div>
            <dt>Output</dt>
            <dd>{format.format(total.outputTokens)}</dd>
          </div>
          <div>
            <dt>Model calls</dt>
            <dd>{format.format(total.calls)}</dd>
          </div>
        </dl>
      )}
      {byDay && period && (
        <BarChart
          title="Tokens by day"
          orientation="vertical"
          seriesNames={['Input', 'Output']}
          bars={fillDays(byDay, period.from, period.to).map((d) => ({ label: d.key, values: [d.inputTokens, d.outputTokens] }))}
        />
      )}
      {byAgent && (
        <BarChart
          title="Tokens by agent"
          orientation="horizontal"
          seriesNames={['Input', 'Output']}
          bars={[...byAgent.groups]
            .sort((a, b) => b.totalTokens - a.totalTokens)
            .map((g) => ({ label: g.key, values: [g.inputTokens, g.outputTokens] }))}
        />
      )}
    </section>
  );
}
