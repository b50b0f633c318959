// Driven by test_node_sdk.py: the official SDK against our webhooks API and signatures.
const Facturapi = require('facturapi').default;
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));

async function crud(client) {
  const events = ['invoice.status_updated'];
  const hook = await client.webhooks.create({ url: input.url, enabled_events: events });
  const listed = await client.webhooks.list();
  const updated = await client.webhooks.update(hook.id, {
    enabled_events: [...events, 'receipt.status_updated'],
  });
  let refused = null;
  try {
    await client.webhooks.create({ url: 'http://10.0.0.1/x', enabled_events: events });
  } catch (e) {
    refused = { status: e.status, path: e.path };
  }
  return { hook, listed, updated, refused };
}

async function validate(client) {
  const { secret, signature } = input;
  const parsed = JSON.parse(input.body);
  const check = (payload) => client.webhooks.validateSignature({ secret, signature, payload });
  const asObject = await check(parsed);
  const asString = await check(input.body);
  let tampered = 'accepted';
  try {
    await check({ ...parsed, id: 'x' });
  } catch (e) {
    tampered = e.message;
  }
  return { asObject, asString, tampered };
}

(async () => {
  const client = new Facturapi(input.key);
  client.BASE_URL = input.base;
  const result = input.mode === 'crud' ? await crud(client) : await validate(client);
  console.log(JSON.stringify(result));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
