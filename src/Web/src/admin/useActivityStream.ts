import { useCallback, useEffect, useReducer, useState } from 'react';
import type { AdminApi } from '../api/admin';
import type { ActivityFilters } from '../api/types';
import { activityReducer, initialActivity, type ActivityState } from './activity';

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** How many stored events fill the list when the stream (re)opens. */
const RECENT_LIMIT = 200;

/**
 * The activity list for some filters: recent events first, then the live stream, de-duplicated. The
 * recent list is read again after each reconnect, to fill what the stream missed meanwhile. New
 * filters start over. Runs only while `enabled`.
 */
export function useActivityStream(admin: AdminApi, filters: ActivityFilters, enabled: boolean) {
  const [state, dispatch] = useReducer((s: ActivityState, a: Parameters<typeof activityReducer>[1]) => activityReducer(s, a), initialActivity);
  const [connection, setConnection] = useState<ConnectionState>('idle');
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  const { type, userId, policy } = filters;

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    const signal = controller.signal;
    const current: ActivityFilters = { type, userId, policy };
    dispatch({ type: 'cleared' });
    setConnection('connecting');
    setError(null);
    let opened = 0;
    const loadRecent = () =>
      admin.recentActivity(current, RECENT_LIMIT, signal).then(
        (events) => {
          if (!signal.aborted) dispatch({ type: 'received', events });
        },
        (err: unknown) => {
          if (!signal.aborted) setError(err);
        },
      );
    void loadRecent();
    admin
      .streamActivity({
        filters: current,
        signal,
        onEvents: (events) => dispatch({ type: 'received', events }),
        onStateChange: (s) => {
          if (signal.aborted) return;
          if (s.kind === 'open') {
            setConnection('live');
            if (opened++ > 0) void loadRecent();
          } else if (s.kind === 'reconnecting') {
            setConnection('reconnecting');
          }
        },
      })
      .then(
        () => undefined,
        (err: unknown) => {
          if (signal.aborted) return;
          setConnection('stopped');
          setError(err);
        },
      );
    return () => controller.abort();
  }, [admin, type, userId, policy, enabled, generation]);

  const reconnect = useCallback(() => setGeneration((g) => g + 1), []);
  const setPaused = useCallback((paused: boolean) => dispatch({ type: 'paused', paused }), []);
  const clear = useCallback(() => dispatch({ type: 'cleared' }), []);

  return { ...state, connection, error, reconnect, setPaused, clear };
}
