import { describe, expect, it } from 'vitest';
import { buildTestSample, emptyTryIt } from './tryIt';

describe('buildTestSample', () => {
  it('sends a user message as a Chat Completions request and a tool call with its arguments as typed', () => {
    const { sample } = buildTestSample({ ...emptyTryIt, message: 'hello', toolName: ' shell ', toolArguments: '{"cmd":"rm -rf /"}', surface: 'run' });
    expect(sample).toEqual({
      surface: 'run',
      request: { messages: [{ role: 'user', content: 'hello' }] },
      toolCalls: [{ name: 'shell', arguments: '{"cmd":"rm -rf /"}' }],
    });
  });

  it('tests one policy, for an agent, against the unsaved chain when asked', () => {
    const chain = [{ policy: 'size-limit', id: 'size-limit' }];
    const { sample } = buildTestSample({ ...emptyTryIt, target: 'tool-judge', agentId: 'a1', toolName: 'x' }, chain);
    expect(sample).toEqual({ surface: 'openai', policy: 'tool-judge', agentId: 'a1', chain, toolCalls: [{ name: 'x', arguments: '{}' }] });
  });

  it('asks for something to test', () => {
    expect(buildTestSample({ ...emptyTryIt, message: '  ' }).error).toMatch(/Enter a user message/);
    expect(buildTestSample({ ...emptyTryIt, toolArguments: '{}' }).error).toMatch(/Name the tool/);
  });
});
