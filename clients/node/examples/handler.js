// A webhook signer. Its HMAC key is a Secrets Manager secret in Sealbox: global scope holds a
// lease handle, and the key exists only inside the invocation, in a Buffer zeroed afterwards.
const crypto = require('node:crypto');
const sealbox = require('sealbox-client'); // reads SEALBOX_SOCKET

// Global scope (cold start): a handle, no plaintext. Nothing is sent until the first use.
const signingKey = sealbox.lease({ secretId: process.env.SIGNING_KEY_SECRET || 'prod/webhook-key' });

exports.handler = async (event) => {
  const signature = await signingKey.withValue((key) =>     // a Buffer, zeroed when this returns
    crypto.createHmac('sha256', key).update(event.body).digest('hex'));
  return { statusCode: 200, headers: { 'X-Signature': signature }, body: event.body };
};
