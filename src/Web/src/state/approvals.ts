import { ApiError } from '../api/problem';

/** Pauses between attempts while the server catches up with its own stream: about 10 s in all. */
export const DECISION_RETRY_DELAYS_MS: readonly number[] = [250, 500, 1000, 2000, 3000, 4000];

/**
 * Sends an approval decision. The server streams `tool_call.approval_required` before the run's stored state says
 * `requires_action` (runs are persisted through a queue), so a decision sent at once can be refused with 409
 * `approval_not_pending` although the call is waiting. Nothing is recorded then, so the decision is sent again, for a
 * few seconds at most and only while the stream still shows the call as pending.
 */
export async function submitDecision(
  submit: () => Promise<unknown>,
  stillPending: () => boolean,
  sleep: (ms: number) => Promise<void>,
  delays: readonly number[] = DECISION_RETRY_DELAYS_MS,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await submit();
      return;
    } catch (err) {
      const notPendingYet = err instanceof ApiError && err.status === 409 && err.code === 'approval_not_pending';
      if (!notPendingYet || attempt >= delays.length || !stillPending()) throw err;
      await sleep(delays[attempt]!);
      if (!stillPending()) throw err;
    }
  }
}
