// Driven by test_node_sdk.py: the official Node SDK (npm `facturapi`, v5) against our /v2.
// Input: JSON on stdin. Output: one JSON object on stdout with what the SDK gave back.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const input = JSON.parse(readFileSync(0, 'utf8'));
const require = createRequire(`${process.env.SDK_DIR}/`);
const Facturapi = require('facturapi').default;

function connect(key) {
  const client = new Facturapi(key);
  client.BASE_URL = input.base;
  return client;
}

// The SDK answers downloads with a Node stream.
async function bytes(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function refused(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    const first = e.errors?.[0];
    return { name: e.name, message: e.message, status: e.status, code: e.code, path: e.path, first };
  }
}

async function customers(client) {
  const created = await client.customers.create(input.customer);
  const listed = await client.customers.list({ q: created.legal_name.slice(0, 8), limit: 10 });
  const retrieved = await client.customers.retrieve(created.id);
  const updated = await client.customers.update(created.id, { email: 'nuevo@example.com' });
  const badInput = await refused(client.customers.create({ ...input.customer, tax_id: 'XYZ' }));
  const scratch = await client.customers.create({ ...input.customer, external_id: 'scratch' });
  const deleted = await client.customers.del(scratch.id);
  const gone = await refused(client.customers.retrieve(scratch.id));
  return { created, listed, retrieved, updated, badInput, deleted, gone };
}

async function products(client) {
  const created = await client.products.create(input.product);
  const listed = await client.products.list({ q: 'Ukelele' });
  const retrieved = await client.products.retrieve(created.id);
  const updated = await client.products.update(created.id, { price: 400 });
  const badInput = await refused(client.products.create({ ...input.product, price: 'caro' }));
  const deleted = await client.products.del(created.id);
  return { created, listed, retrieved, updated, badInput, deleted };
}

async function invoices(client, customerId) {
  const product = await client.products.create(input.product);
  const created = await client.invoices.create({
    customer: customerId,
    items: [{ quantity: 2, product: product.id }],
    payment_form: Facturapi.PaymentForm.TRANSFERENCIA_ELECTRONICA_DE_FONDOS,
    use: Facturapi.InvoiceUse.GASTOS_EN_GENERAL,
  });
  const listed = await client.invoices.list({ status: 'valid' });
  const retrieved = await client.invoices.retrieve(created.id);
  const pdf = await bytes(await client.invoices.downloadPdf(created.id));
  const xml = (await bytes(await client.invoices.downloadXml(created.id))).toString('utf8');
  const badInput = await refused(
    client.invoices.create({ customer: customerId, items: [{ product: { price: 1 } }] }),
  );
  const canceled = await client.invoices.cancel(created.id, {
    motive: Facturapi.CancellationMotive.ERRORES_SIN_RELACION,
  });
  return {
    created,
    listed,
    retrieved,
    pdfStart: pdf.subarray(0, 5).toString('latin1'),
    xmlHasUuid: xml.includes(created.uuid),
    badInput,
    canceled,
  };
}

async function receipts(client, customerId) {
  const created = await client.receipts.create(input.receipt);
  const listed = await client.receipts.list({ status: 'open' });
  const retrieved = await client.receipts.retrieve(created.id);
  const pdf = await bytes(await client.receipts.downloadPdf(created.id));
  const invoiced = await client.receipts.invoice(created.id, { customer: customerId, use: 'G03' });
  const open = await client.receipts.create(input.receipt);
  const canceled = await client.receipts.cancel(open.id);
  const sold = await client.receipts.create(input.receipt);
  const period = { periodicity: 'day', receipts: [sold.id] };
  const global = await client.receipts.createGlobalInvoice(period);
  const nothingLeft = await refused(client.receipts.createGlobalInvoice(period));
  return {
    created,
    listed,
    retrieved,
    pdfStart: pdf.subarray(0, 5).toString('latin1'),
    invoiced,
    canceled,
    global,
    nothingLeft,
  };
}

async function tools(client, customerId) {
  return {
    taxInfo: await client.customers.validateTaxInfo(customerId),
    efos: await client.tools.validateTaxId('URE180429TM6'),
    productKeys: await client.catalogs.searchProducts({ q: 'ukelele' }),
    units: await client.catalogs.searchUnits({ q: 'pieza' }),
  };
}

async function organizations(user) {
  const created = await user.organizations.create({ name: 'Onboarded by the SDK' });
  const legal = await user.organizations.updateLegal(created.id, input.legal);
  const cer = Buffer.from(input.cer, 'base64');
  const key = Buffer.from(input.keyfile, 'base64');
  const certified = await user.organizations.uploadCertificate(created.id, cer, key, input.password);
  const wrongPassword = await refused(
    user.organizations.uploadCertificate(created.id, cer, key, 'not the password'),
  );
  const testKey = await user.organizations.getTestApiKey(created.id);
  const liveKey = await user.organizations.renewLiveApiKey(created.id);
  const liveKeys = await user.organizations.listLiveApiKeys(created.id);
  const afterRevoke = await user.organizations.deleteLiveApiKey(created.id, liveKeys[0].id);
  const me = await connect(testKey).organizations.me();
  const listed = await user.organizations.list();
  const orgKeyRefused = await refused(connect(testKey).organizations.create({ name: 'x' }));
  return {
    created,
    legal,
    certified,
    wrongPassword,
    testKey,
    liveKey,
    liveKeys,
    afterRevoke,
    me,
    listed,
    orgKeyRefused,
  };
}

async function webhookSignature(client) {
  const { secret, signature, body } = input.webhook;
  const check = (payload) => client.webhooks.validateSignature({ secret, signature, payload });
  const valid = await check(body);
  const tampered = await refused(check(body.replace('"id"', '"id" ')));
  return { valid, tampered };
}

const client = connect(input.key);
const result = { customers: await customers(client), products: await products(client) };
result.invoices = await invoices(client, result.customers.created.id);
result.receipts = await receipts(client, result.customers.created.id);
result.tools = await tools(client, result.customers.created.id);
result.organizations = await organizations(connect(input.user_key));
result.webhook = await webhookSignature(client);
result.unauthorized = await refused(connect('sk_test_nope').customers.list());
console.log(JSON.stringify(result));
