// The "Try it" form → the body of `POST /admin/policies/test`. Pure.

import type { PolicyEntry, PolicyTestRequest } from '../api/types';

export type Surface = 'openai' | 'anthropic' | 'run';

export interface TryItForm {
  /** '' = the whole chain; otherwise an entry id or a policy name (test only it). */
  target: string;
  surface: Surface;
  /** '' = no agent (the global chain). */
  agentId: string;
  message: string;
  response: string;
  toolName: string;
  toolArguments: string;
}

export const emptyTryIt: TryItForm = {
  target: '',
  surface: 'openai',
  agentId: '',
  message: '',
  response: '',
  toolName: '',
  toolArguments: '',
};

/** The sample to send, or what is missing. `chain` (the unsaved edits) is tried instead of the stored chain. */
export function buildTestSample(form: TryItForm, chain?: PolicyEntry[]): { sample?: PolicyTestRequest; error?: string } {
  const toolName = form.toolName.trim();
  const toolArguments = form.toolArguments.trim();
  if (toolArguments && !toolName) return { error: 'Name the tool whose arguments these are.' };
  if (!form.message.trim() && !form.response && !toolName) {
    return { error: 'Enter a user message, a response text or a tool call to test.' };
  }
  const sample: PolicyTestRequest = { surface: form.surface };
  if (form.target) sample.policy = form.target;
  if (form.agentId) sample.agentId = form.agentId;
  if (chain) sample.chain = chain;
  if (form.message.trim()) sample.request = { messages: [{ role: 'user', content: form.message }] };
  if (form.response) sample.response = form.response;
  // The model's arguments are a JSON text, possibly malformed: sent as typed, as a model would.
  if (toolName) sample.toolCalls = [{ name: toolName, arguments: toolArguments || '{}' }];
  return { sample };
}
