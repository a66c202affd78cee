import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { submitDecision } from './approvals';

const notPending = () => new ApiError(409, { status: 409, code: 'approval_not_pending', title: 'No such tool call is waiting for approval' });

function scripted(outcomes: (Error | 'ok')[]) {
  let calls = 0;
  const submit = async () => {
    const outcome = outcomes[calls++];
    if (outcome !== 'ok') throw outcome;
  };
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  return { submit, sleep, delays, calls: () => calls };
}

describe('submitDecision', () => {
  it('sends the decision again while the server has not caught up with the pending call', async () => {
    const s = scripted([notPending(), notPending(), 'ok']);
    await submitDecision(s.submit, () => true, s.sleep, [10, 20, 30]);
    expect(s.calls()).toBe(3);
    expect(s.delays).toEqual([10, 20]);
  });

  it('gives up after the last delay with the server error', async () => {
    const s = scripted([notPending(), notPending(), notPending()]);
    await expect(submitDecision(s.submit, () => true, s.sleep, [10, 20])).rejects.toMatchObject({ code: 'approval_not_pending' });
    expect(s.calls()).toBe(3);
  });

  it('stops as soon as the stream no longer shows the call as pending', async () => {
    const s = scripted([notPending(), 'ok']);
    let pending = true;
    const sleep = async () => {
      pending = false; // e.g. decided in another tab, or timed out
    };
    await expect(submitDecision(s.submit, () => pending, sleep, [10])).rejects.toMatchObject({ code: 'approval_not_pending' });
    expect(s.calls()).toBe(1);
  });

  it('does not repeat other failures', async () => {
    const s = scripted([new ApiError(409, { status: 409, code: 'approval_already_decided' }), 'ok']);
    await expect(submitDecision(s.submit, () => true, s.sleep)).rejects.toMatchObject({ code: 'approval_already_decided' });
    expect(s.calls()).toBe(1);
    expect(s.delays).toEqual([]);
  });
});
