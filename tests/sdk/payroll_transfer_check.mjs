// Driven by test_payroll_transfer_sdk.py: the official SDK creates a payroll (N) and a transfer
// (T, with Carta Porte) invoice, downloads their XML and PDF, and reads a refusal's SAT code.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(`${process.cwd()}/`);
const Facturapi = require('facturapi').default;
const input = JSON.parse(readFileSync(0, 'utf8'));

async function bytes(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const client = new Facturapi(input.key);
client.BASE_URL = input.base;
const payroll = await client.invoices.create({ ...input.payroll, type: Facturapi.InvoiceType.NOMINA });
const transfer = await client.invoices.create({ ...input.transfer, type: Facturapi.InvoiceType.TRASLADO });
const listed = await client.invoices.list({ type: 'N' });
const payrollXml = (await bytes(await client.invoices.downloadXml(payroll.id))).toString('utf8');
const transferXml = (await bytes(await client.invoices.downloadXml(transfer.id))).toString('utf8');
const pdf = await bytes(await client.invoices.downloadPdf(payroll.id));
const broken = structuredClone(input.payroll);
broken.complements[0].data.tipo_nomina = 'E';
let refused = null;
try {
  await client.invoices.create({ ...broken, type: 'N' });
} catch (e) {
  refused = { status: e.status, code: e.code, message: e.message };
}
console.log(JSON.stringify({
  payroll, transfer, listed, refused,
  payrollXml, transferXml, pdfHeader: pdf.subarray(0, 5).toString('latin1'),
}));
