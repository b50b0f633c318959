// Driven by test_retentions_node_sdk.py: the official SDK against our retentions API.
const Facturapi = require('facturapi').default;
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));

async function size(stream) {
  // The SDK answers downloads as a Node stream (or a Blob in browsers).
  if (stream && typeof stream.arrayBuffer === 'function') {
    const buffer = Buffer.from(await stream.arrayBuffer());
    return { bytes: buffer.length, head: buffer.subarray(0, 4).toString('latin1') };
  }
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  const buffer = Buffer.concat(chunks);
  return { bytes: buffer.length, head: buffer.subarray(0, 4).toString('latin1') };
}

(async () => {
  const client = new Facturapi(input.key);
  client.BASE_URL = input.base;
  const retention = await client.retentions.create(input.body);
  const listed = await client.retentions.list({ q: 'r123' });
  const retrieved = await client.retentions.retrieve(retention.id);
  const pdf = await size(await client.retentions.downloadPdf(retention.id));
  const xml = await size(await client.retentions.downloadXml(retention.id));
  const zip = await size(await client.retentions.downloadZip(retention.id));
  const sent = await client.retentions.sendByEmail(retention.id, { email: 'sdk@example.com' });
  const canceled = await client.retentions.cancel(retention.id);
  let refused = null;
  try {
    await client.retentions.create({ ...input.body, cve_retenc: 99 });
  } catch (e) {
    refused = { status: e.status, code: e.code, path: e.path };
  }
  console.log(JSON.stringify({ retention, listed, retrieved, pdf, xml, zip, sent, canceled, refused }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
