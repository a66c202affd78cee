// The official Anthropic SDK, unmodified, against the gateway: only baseURL and apiKey are ours (sent as x-api-key).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { api, credentials, weatherSchema } from '../setup.mjs';

let client;
const tools = [{ name: 'get_weather', description: 'Current weather', input_schema: weatherSchema }];

before(async () => {
  const { key } = await credentials();
  client = new Anthropic({ baseURL: `${api}/api/anthropic`, apiKey: key });
});

describe('anthropic sdk', () => {
  test('messages.create answers, with usage', async () => {
    const message = await client.messages.create({
      model: 'sim-small',
      max_tokens: 100,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'hi [[sim reply="Hello from the gateway."]]' }],
    });
    assert.equal(message.type, 'message');
    assert.equal(message.content[0].type, 'text');
    assert.equal(message.content[0].text, 'Hello from the gateway.');
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.output_tokens, 4);
    assert.ok(message.usage.input_tokens > 0);
  });

  test('streaming: text events and the final message with usage', async () => {
    const stream = client.messages.stream({
      model: 'sim-small',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'count [[sim reply="one two three four"]]' }],
    });
    let text = '';
    stream.on('text', (delta) => { text += delta; });
    const final = await stream.finalMessage();
    assert.equal(text, 'one two three four');
    assert.equal(final.content[0].text, 'one two three four');
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.usage.output_tokens, 4);
  });

  test('max_tokens cuts the answer: stop_reason max_tokens', async () => {
    const message = await client.messages.create({
      model: 'sim-small',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'long [[sim tokens=30]]' }],
    });
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 3);
  });

  test('tool use, not streamed, then the tool result goes back', async () => {
    const messages = [{ role: 'user', content: `weather? [[sim tool=get_weather args='{"city":"Paris"}']]` }];
    const message = await client.messages.create({ model: 'sim-small', max_tokens: 100, tools, messages });
    assert.equal(message.stop_reason, 'tool_use');
    const toolUse = message.content.find((b) => b.type === 'tool_use');
    assert.equal(toolUse.name, 'get_weather');
    assert.deepEqual(toolUse.input, { city: 'Paris' });

    const answer = await client.messages.create({
      model: 'sim-small',
      max_tokens: 100,
      tools,
      messages: [
        ...messages,
        { role: 'assistant', content: message.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: toolUse.id, content: 'sunny' },
            { type: 'text', text: 'so? [[sim reply="It is sunny."]]' },
          ],
        },
      ],
    });
    assert.equal(answer.content[0].text, 'It is sunny.');
  });

  test('tool use, streamed: input_json_delta builds the input', async () => {
    const stream = client.messages.stream({
      model: 'sim-small',
      max_tokens: 100,
      tools,
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: `weather? [[sim tool=get_weather args='{"city":"Reykjavik"}']]` }],
    });
    const final = await stream.finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const toolUse = final.content.find((b) => b.type === 'tool_use');
    assert.equal(toolUse.name, 'get_weather');
    assert.deepEqual(toolUse.input, { city: 'Reykjavik' });
  });

  test('models.list lists the deployments', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes('sim-small'), ids.join(', '));
  });

  test('errors come in Anthropic format with our problem code', async () => {
    const bad = new Anthropic({ baseURL: `${api}/api/anthropic`, apiKey: 'agk_not-a-key', maxRetries: 0 });
    await assert.rejects(bad.messages.create({ model: 'sim-small', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }), (e) => {
      assert.ok(e instanceof Anthropic.AuthenticationError, e.constructor.name);
      assert.equal(e.status, 401);
      assert.equal(e.error.type, 'error');
      assert.equal(e.error.error.type, 'authentication_error');
      assert.ok(e.error.error.problem_code);
      return true;
    });
    await assert.rejects(
      client.messages.create({ model: 'sim-small', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/x.png' } }] }] }, { maxRetries: 0 }),
      (e) => e instanceof Anthropic.BadRequestError && e.error.error.problem_code === 'unsupported_feature',
    );
  });
});
