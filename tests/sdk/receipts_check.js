// Driven by test_receipts_node_sdk.py: the official SDK against our receipts API.
const Facturapi = require('facturapi').default;
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));

(async () => {
  const client = new Facturapi(input.key);
  client.BASE_URL = input.base;
  const item = { quantity: 1, product: { description: 'Ukelele', product_key: '60131324', price: 345.6 } };
  const receipt = await client.receipts.create({ items: [item], payment_form: '01' });
  const listed = await client.receipts.list({ q: 'ukelele' });
  const retrieved = await client.receipts.retrieve(receipt.id);
  const dry = await client.receipts.toInvoice({ keys: [receipt.key], dry_run: true });
  const invoice = await client.receipts.invoice(receipt.id, { customer: input.customer, use: 'G03' });
  const other = await client.receipts.create({ items: [item], payment_form: '01' });
  const canceled = await client.receipts.cancel(other.id);
  let refused = null;
  try {
    await client.receipts.invoice(other.id, { customer: input.customer });
  } catch (e) {
    refused = { status: e.status, code: e.code, message: e.message };
  }
  let nothing = null;
  try {
    await client.receipts.createGlobalInvoice({ periodicity: 'day' });
  } catch (e) {
    nothing = { status: e.status, code: e.code };
  }
  console.log(JSON.stringify({ receipt, listed, retrieved, dry, invoice, canceled, refused, nothing }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
