// Shapes as the server sends them (src/Application/Policies/SettingsSchema.cs, AdminPoliciesApi.cs).

import type { PolicyChainView, PolicyInfo } from '../api/types';

export const toolJudge: PolicyInfo = {
  name: 'tool-judge',
  description: 'Asks a model to score each proposed tool call.',
  stages: ['tool_call'],
  defaultTimeoutMs: 10000,
  defaultFailMode: 'closed',
  settingsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      judgeModel: { type: 'string', description: 'The model that judges.', default: '', maxLength: 200 },
      rules: { type: 'string', description: 'What the judge is told.', default: 'Be careful.', maxLength: 8000 },
      blockThreshold: { type: 'number', description: 'Blocks at or above.', default: 0.8, minimum: 0, maximum: 1 },
      approvalThreshold: { type: 'number', default: 0.5, minimum: 0, maximum: 1 },
      gatewayApproval: { type: 'string', default: 'block', enum: ['block', 'allow'] },
      tools: { type: 'array', default: [], items: { type: 'string', maxLength: 200 }, maxItems: 200 },
      maxArgumentChars: { type: 'integer', default: 4000, minimum: 100, maximum: 100000 },
    },
  },
};

export const sizeLimit: PolicyInfo = {
  name: 'size-limit',
  description: 'Limits sizes.',
  stages: ['request', 'tool_call'],
  defaultTimeoutMs: 1000,
  defaultFailMode: 'closed',
  settingsSchema: {
    type: 'object',
    properties: {
      maxInputChars: { type: 'integer', default: 0, minimum: 0, maximum: 100000000 },
      maxOutputTokens: { type: 'integer', default: 0, minimum: 0, maximum: 10000000 },
      outputMode: { type: 'string', default: 'clamp', enum: ['clamp', 'block'] },
    },
  },
};

export const policies = [sizeLimit, toolJudge];

/** The file chain of appsettings (size-limit with maxOutputTokens, the judge with a timeout), nothing stored. */
export const fileOnlyView: PolicyChainView = {
  source: 'file',
  storedVersion: 0,
  entries: [],
  stored: null,
  file: [
    { policy: 'size-limit', settings: { maxOutputTokens: 4096 } },
    { policy: 'tool-judge', timeoutMs: 8000, failMode: 'closed' },
  ],
};
