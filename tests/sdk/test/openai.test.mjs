// The official OpenAI SDK, unmodified, against the gateway: only baseURL and apiKey are ours.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { adminFetch, api, credentials, weatherSchema } from '../setup.mjs';

let client;
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: weatherSchema } }];

before(async () => {
  const { key } = await credentials();
  client = new OpenAI({ baseURL: `${api}/api/openai/v1`, apiKey: key });
});

describe('openai sdk', () => {
  test('chat.completions.create answers, with usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'hi [[sim reply="Hello from the gateway."]]' }],
    });
    assert.equal(completion.choices[0].message.content, 'Hello from the gateway.');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.equal(completion.usage.completion_tokens, 4);
    assert.match(completion._request_id, /^gw_/);
  });

  test('streaming yields the text, and the usage chunk when asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'sim-small',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count [[sim reply="one two three four"]]' }],
    });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, 'one two three four');
    assert.equal(usage.completion_tokens, 4);
  });

  test('streaming without include_usage gets no usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'sim-small',
      stream: true,
      messages: [{ role: 'user', content: 'x [[sim tokens=3]]' }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.every((c) => c.choices.length > 0), 'a usage-only chunk came through');
  });

  test('tool calls, not streamed', async () => {
    const completion = await client.chat.completions.create({
      model: 'sim-small',
      tools,
      messages: [{ role: 'user', content: `weather? [[sim tool=get_weather args='{"city":"Paris"}']]` }],
    });
    const call = completion.choices[0].message.tool_calls[0];
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  });

  test('tool calls, streamed through the stream helper, then the tool result goes back', async () => {
    const messages = [{ role: 'user', content: `weather? [[sim tool=get_weather args='{"city":"Oslo"}']]` }];
    const runner = client.chat.completions.stream({ model: 'sim-small', tools, messages });
    const final = await runner.finalChatCompletion();
    const message = final.choices[0].message;
    assert.equal(message.tool_calls.length, 1);
    assert.equal(message.tool_calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(message.tool_calls[0].function.arguments), { city: 'Oslo' });

    const answer = await client.chat.completions.create({
      model: 'sim-small',
      tools,
      messages: [
        ...messages,
        message,
        { role: 'tool', tool_call_id: message.tool_calls[0].id, content: 'cold' },
        { role: 'user', content: 'so? [[sim reply="It is cold."]]' },
      ],
    });
    assert.equal(answer.choices[0].message.content, 'It is cold.');
  });

  test('models.list lists the deployments', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes('sim-small'), ids.join(', '));
  });

  test('errors come in OpenAI format with our code', async () => {
    const bad = new OpenAI({ baseURL: `${api}/api/openai/v1`, apiKey: 'agk_not-a-key', maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'sim-small', messages: [{ role: 'user', content: 'hi' }] }), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, e.constructor.name);
      assert.equal(e.status, 401);
      assert.ok(e.code, 'our problem code is in error.code');
      return true;
    });
    await assert.rejects(
      client.chat.completions.create({ model: 'sim-small', messages: [] }, { maxRetries: 0 }),
      (e) => e instanceof OpenAI.BadRequestError && e.code === 'invalid_request' && e.param === 'messages',
    );
  });

  test('a tool call blocked by a policy becomes a refusal, streamed and not', async () => {
    const previous = await (await adminFetch('/api/v1/admin/policies/chain')).json();
    const term = `forbidden-${Date.now()}`;
    const set = await adminFetch('/api/v1/admin/policies/chain', {
      method: 'PUT',
      body: JSON.stringify({ chain: [{ policy: 'content-blocklist', settings: { terms: [term], applyTo: 'response' } }] }),
    });
    assert.equal(set.status, 200, await set.text());
    try {
      const content = `x [[sim tool=get_weather args='{"city":"${term}"}']]`;
      const completion = await client.chat.completions.create({ model: 'sim-small', tools, messages: [{ role: 'user', content }] });
      assert.equal(completion.choices[0].finish_reason, 'stop');
      assert.equal(completion.choices[0].message.tool_calls, undefined);
      assert.match(completion.choices[0].message.content, /blocked by policy 'content-blocklist'/);

      const final = await client.chat.completions.stream({ model: 'sim-small', tools, messages: [{ role: 'user', content: `${content} ` }] }).finalChatCompletion();
      assert.equal(final.choices[0].finish_reason, 'stop');
      assert.ok(!final.choices[0].message.tool_calls?.length);
      assert.match(final.choices[0].message.content, /blocked by policy/);
    } finally {
      await (previous.stored
        ? adminFetch('/api/v1/admin/policies/chain', { method: 'PUT', body: JSON.stringify({ chain: previous.stored }) })
        : adminFetch('/api/v1/admin/policies/chain', { method: 'DELETE' }));
    }
  });
});
