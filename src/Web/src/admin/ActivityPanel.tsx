import { useId, useState, type FormEvent } from 'react';
import type { AdminApi } from '../api/admin';
import type { ActivityEvent, ActivityFilters } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { activityTone, activityTypeChoices, describeActivity, MAX_EVENTS } from './activity';
import { useActivityStream, type ConnectionState } from './useActivityStream';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

const connectionText: Record<ConnectionState, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost, reconnecting…',
  stopped: 'Disconnected',
};

function formatTime(at: string, format: Intl.DateTimeFormat): string {
  const t = Date.parse(at);
  return Number.isNaN(t) ? at : format.format(new Date(t));
}

/** Live activity: recent events, then the stream; filters, pause, newest on top, at most MAX_EVENTS. */
export function ActivityPanel({ admin, active, policyIds }: { admin: AdminApi; active: boolean; policyIds: string[] }) {
  // The stream starts the first time the tab is shown, and keeps running while the page is open.
  const [started, setStarted] = useState(active);
  if (active && !started) setStarted(true);
  const [filters, setFilters] = useState<ActivityFilters>({});
  const [typeInput, setTypeInput] = useState('');
  const [userInput, setUserInput] = useState('');
  const [policyInput, setPolicyInput] = useState('');
  const stream = useActivityStream(admin, filters, started);
  const id = useId();

  function apply(next: { type?: string; userId?: string; policy?: string }) {
    const f: ActivityFilters = {};
    const t = (next.type ?? typeInput).trim();
    const u = (next.userId ?? userInput).trim();
    const p = (next.policy ?? policyInput).trim();
    if (t) f.type = t;
    if (u) f.userId = u;
    if (p) f.policy = p;
    if (f.type !== filters.type || f.userId !== filters.userId || f.policy !== filters.policy) setFilters(f);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    apply({});
  }

  const paused = stream.paused;
  const state = paused ? 'paused' : stream.connection;

  return (
    <div className="activity">
      <form className="activity-filters" onSubmit={submit} role="search" aria-label="Activity filters">
        <div className="field">
          <label htmlFor={`${id}-type`}>Type</label>
          <select
            id={`${id}-type`}
            value={typeInput}
            onChange={(e) => {
              setTypeInput(e.target.value);
              apply({ type: e.target.value });
            }}
          >
            {activityTypeChoices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-user`}>User</label>
          <input
            id={`${id}-user`}
            type="text"
            value={userInput}
            placeholder="User id"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setUserInput(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-policy`}>Policy</label>
          <input
            id={`${id}-policy`}
            type="text"
            value={policyInput}
            placeholder="Entry id"
            list={`${id}-policies`}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setPolicyInput(e.target.value)}
          />
          <datalist id={`${id}-policies`}>
            {policyIds.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </div>
        <div className="filter-actions">
          <button type="submit">Apply filters</button>
          {(filters.type || filters.userId || filters.policy) && (
            <button
              type="button"
              className="ghost"
              onClick={() => {
                setTypeInput('');
                setUserInput('');
                setPolicyInput('');
                setFilters({});
              }}
            >
              Clear filters
            </button>
          )}
        </div>
      </form>

      <div className="activity-bar">
        <span className={`live-state live-${state}`} role="status" data-testid="activity-status" data-state={state}>
          <span className="live-dot" aria-hidden="true" />
          {paused ? `Paused${stream.pending.length > 0 ? `: ${stream.pending.length} new` : ''}` : connectionText[stream.connection]}
        </span>
        <button type="button" aria-pressed={paused} onClick={() => stream.setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="ghost" onClick={stream.clear} disabled={stream.events.length === 0}>
          Clear list
        </button>
        <span className="muted activity-count">
          {stream.events.length} {stream.events.length === 1 ? 'event' : 'events'} shown (the newest {MAX_EVENTS} are kept)
        </span>
      </div>

      {stream.error ? (
        <ErrorNotice
          error={stream.error}
          onRetry={stream.connection === 'stopped' ? stream.reconnect : undefined}
          retryLabel="Reconnect"
        />
      ) : null}

      <div className="table-wrap activity-table-wrap">
        <table className="data-table activity-table" aria-label="Activity, newest first" data-testid="activity-list">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">User</th>
              <th scope="col">Policy</th>
              <th scope="col">Decision / reason</th>
            </tr>
          </thead>
          <tbody>
            {stream.events.map((e) => (
              <ActivityRow key={e.id} event={e} />
            ))}
          </tbody>
        </table>
        {stream.events.length === 0 && (
          <p className="muted empty-activity">
            {stream.connection === 'connecting' ? 'Loading recent activity…' : 'No events yet. New ones appear here as they happen.'}
          </p>
        )}
      </div>
    </div>
  );
}

function ActivityRow({ event }: { event: ActivityEvent }) {
  const { decision, reason } = describeActivity(event);
  return (
    <tr data-testid="activity-row" data-event-id={event.id} data-type={event.type}>
      <td className="nowrap">
        <time dateTime={event.at} title={formatTime(event.at, fullFormat)}>
          {formatTime(event.at, timeFormat)}
        </time>
      </td>
      <td className="nowrap">
        <span className={`type-tag tone-${activityTone(event.type)}`}>{event.type}</span>
      </td>
      <td className="ellipsis" title={event.userId ?? undefined}>
        {event.userId ?? ''}
      </td>
      <td className="nowrap">{event.policy ?? ''}</td>
      <td className="decision-cell">
        {decision && <span className="decision">{decision}</span>}
        {reason && <span className="reason">{reason}</span>}
      </td>
    </tr>
  );
}
